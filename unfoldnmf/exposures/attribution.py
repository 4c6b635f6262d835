"""Which signature made each mutation: for a mutation in channel c of sample j, the probability
that signature k made it is h_jk · w_ck / Σ_k' h_jk' · w_ck' (the sample's exposure to the signature
times the signature's probability of that channel, normalised over the signatures)."""

from __future__ import annotations

import numpy as np
import pandas as pd


class Attribution:
    """Per-mutation signature probabilities for the samples of an exposures table (samples × K) on
    ``signatures`` (channels × K, the same columns); computed per sample when first asked for."""

    def __init__(self, signatures: pd.DataFrame, exposures: pd.DataFrame):
        self.names = list(signatures.columns)
        self.channels = {label: i for i, label in enumerate(signatures.index)}
        self._signatures = signatures.to_numpy(dtype=float)
        self._exposures = exposures[self.names]
        self._by_sample: dict[str, np.ndarray] = {}

    def knows(self, sample: str) -> bool:
        return sample in self._exposures.index

    def probabilities(self, sample: str, channel: str) -> np.ndarray:
        """The K probabilities for a mutation in ``channel`` of ``sample`` (all zero when the sample's
        exposures give that channel no weight at all)."""
        table = self._by_sample.get(sample)
        if table is None:
            weighted = self._signatures * self._exposures.loc[sample].to_numpy(dtype=float)[None, :]
            totals = weighted.sum(axis=1, keepdims=True)
            table = np.divide(weighted, totals, out=np.zeros_like(weighted), where=totals > 0)
            self._by_sample[sample] = table
        return table[self.channels[channel]]
