"""Writes the safetensors fixtures that test/safetensors.test.ts reads, using the reference
`safetensors` package (so the tests check our reader against files we did not write ourselves).

    .venv/bin/python tools/make_safetensors_fixture.py test/fixtures/io

Needs torch and safetensors (pip install torch safetensors). The values are spelled out in the
test too; change both together.
"""
import math
import os
import sys

import torch
from safetensors.torch import save_file


def every_dtype():
    return {
        # float32 edge values: largest finite, smallest subnormal, a value with no short decimal.
        "f32": torch.tensor([[-1.5, 0.0, 1.25], [3.4028234663852886e38, 1.401298464324817e-45, 0.1]], dtype=torch.float32),
        # float16: signed zero, largest finite, smallest subnormal, largest subnormal, smallest
        # normal, infinities and NaN.
        "f16": torch.tensor(
            [0.0, -0.0, 1.0, -2.5, 65504.0, 2.0**-24, 1023 * 2.0**-24, 2.0**-14, math.inf, -math.inf, math.nan],
            dtype=torch.float16,
        ),
        # bfloat16: pi rounds to 3.140625; 2^-133 is a bfloat16 subnormal; 3.3895e38 is its largest finite.
        "bf16": torch.tensor([1.0, -math.pi, 3.3895313892515355e38, 2.0**-133, -math.inf, math.nan], dtype=torch.bfloat16),
        "i8": torch.tensor([-128, -1, 0, 127], dtype=torch.int8),
        "u8": torch.tensor([[0, 1], [254, 255]], dtype=torch.uint8),
        "i32": torch.tensor([-(2**31), 0, 2**31 - 1], dtype=torch.int32),
        "i64": torch.tensor([[-(2**31), -1], [0, 2**31 - 1]], dtype=torch.int64),
        # float64: 0.1 and 1/3 round; 1e-300 underflows to -0 in float32.
        "f64": torch.tensor([0.1, -1e-300, 1.0 / 3.0], dtype=torch.float64),
        "scalar": torch.tensor(7.0, dtype=torch.float32),
        "empty": torch.zeros((0, 4), dtype=torch.float32),
    }


def native_dtypes():
    """Only dtypes gnn-kernels writes back unchanged, for the byte-identical round trip."""
    return {
        "conv1.lin.weight": torch.arange(12, dtype=torch.float32).reshape(3, 4) / 8 - 0.75,
        "conv1.bias": torch.tensor([0.5, -0.25, 2.0], dtype=torch.float32),
        "ids": torch.tensor([3, -7, 2**31 - 1], dtype=torch.int32),
        "q": torch.tensor([[-128, 5, 127]], dtype=torch.int8),
        "mask": torch.tensor([1, 0, 1, 1, 0], dtype=torch.uint8),
        "aa_first_by_name": torch.tensor([1.0], dtype=torch.float32),
    }


def half_conversions():
    """float32 values and PyTorch's float16 / bfloat16 roundings of them, to check our writer's
    rounding (and its file layout with mixed dtypes) bit for bit against an independent one."""
    f16_edges = [
        0.0, -0.0, 1.0, -1.0, 65504.0, 65519.99, 65520.0, -65520.0, 1e9, 2.0**-14, 2.0**-24, 2.0**-25,
        1.5 * 2.0**-25, 3 * 2.0**-25, 5 * 2.0**-25, 2.0**-26, 1e-45, 0.1, 1.0 / 3.0, 2049.0, 2051.0,
        1 + 2.0**-11, 1 + 3 * 2.0**-11, (1023.5) * 2.0**-24, 1023.5 * 2.0**-14 * 2.0**-10,
    ]
    bf16_edges = [
        3.3895313892515355e38, 3.3961775292304e38, 3.4028234663852886e38, -3.4028234663852886e38,
        1 + 2.0**-8, 1 + 3 * 2.0**-8, 2.0**-126, 2.0**-133, 2.0**-149, 1.1754942106924411e-38,
    ]
    # No NaN: which NaN PyTorch writes depends on its code path (its vectorised bfloat16 path
    # writes 0xffff for every NaN, its scalar one 0x7fc0). The test checks our NaNs on its own.
    special = [math.inf, -math.inf]
    g = torch.Generator().manual_seed(20240611)
    # Random bit patterns cover every exponent.
    bits = torch.randint(-(2**31), 2**31, (3000,), generator=g, dtype=torch.int64).to(torch.int32)
    rand_bits = bits.view(torch.float32)
    rand_bits = rand_bits[~torch.isnan(rand_bits)]
    # Values around float16's range, where its rounding cases are: 2^-27 .. 2^17.
    mant = torch.rand(3000, generator=g, dtype=torch.float64) + 1
    expo = torch.randint(-27, 18, (3000,), generator=g).to(torch.float64)
    sign = torch.where(torch.rand(3000, generator=g) < 0.5, -1.0, 1.0).to(torch.float64)
    rand_f16 = (sign * mant * torch.pow(2.0, expo)).to(torch.float32)
    src = torch.cat([torch.tensor(f16_edges + bf16_edges + special, dtype=torch.float32), rand_bits, rand_f16])
    return {"src": src, "src_f16": src.to(torch.float16), "src_bf16": src.to(torch.bfloat16)}


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    save_file(every_dtype(), os.path.join(out_dir, "reference-dtypes.safetensors"), metadata={"producer": "make_safetensors_fixture.py"})
    # One metadata key: the reference serialises metadata from a hash map, so more keys could come
    # out in any order and the byte-for-byte comparison would be meaningless.
    save_file(native_dtypes(), os.path.join(out_dir, "reference-native.safetensors"), metadata={"format": "pt"})
    save_file(half_conversions(), os.path.join(out_dir, "reference-half.safetensors"), metadata={"format": "pt"})


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "test/fixtures/io")
