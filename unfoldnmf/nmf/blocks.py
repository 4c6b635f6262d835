"""Blocks of samples for the KL kernels, which build (R, 96, N) temporaries such as X ⊘ WH.

Whole-catalog temporaries of a large cohort (385 MB for 10 replicates of 10⁵ samples in float32)
are slow twice over: they leave the CPU's caches, and every one is fresh memory the kernel has to map
and zero (an EM step at 10⁵ samples spent two thirds of its CPU time in the kernel). Taken a block of
samples at a time, each temporary holds about :data:`BLOCK_ELEMENTS` values; the results are
unchanged (every sample's terms are computed alone, and sums over samples add the blocks' sums).
"""

from __future__ import annotations

#: Values in one block's (R, 96, samples) temporary: 4 MB in float32. In a torch micro-benchmark on 2
#: cores (10 replicates × 10⁵ samples, K = 10, glibc's memory mapping off, consecutive runs) an EM step
#: took 175 ms with blocks of 2¹⁰ samples, 186 ms at 2¹¹, 229 ms at 2¹²; unblocked, default allocator, 677 ms.
BLOCK_ELEMENTS = 2**20


def sample_blocks(samples: int, values_per_sample: int) -> list[slice]:
    """Consecutive slices covering ``samples`` samples, each of about :data:`BLOCK_ELEMENTS` values
    when a sample holds ``values_per_sample`` values (replicates × channels)."""
    size = max(1, BLOCK_ELEMENTS // max(1, values_per_sample))
    return [slice(start, min(start + size, samples)) for start in range(0, samples, size)]


def factor_blocks(W, H, replicates: int | None = None) -> list[slice]:
    """Blocks of H's samples (last axis) sized for the (replicates, channels, samples) temporaries
    of W·H, W being (…, channels, K). ``replicates`` (default: W's batch) sizes them for another batch:
    the blocks set the order in which sums over samples are added, and so their rounding, and a process
    solving its share of a batch must cut the samples as one process solving the whole batch."""
    per_sample = W.numel() // W.shape[-1] if replicates is None else replicates * W.shape[-2]
    return sample_blocks(H.shape[-1], per_sample)
