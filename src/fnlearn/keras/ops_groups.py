"""Keras 3's groupings of its ops, ``keras.ops.numpy`` and ``keras.ops.nn``, as modules re-exporting fnlearn's.

Each holds the names Keras puts in it that fnlearn has (the same functions as ``keras.ops.<name>``); asking one for
a Keras name fnlearn lacks says so in one sentence. ``keras.ops.linalg`` and ``keras.ops.image`` are modules of
their own (``ops_linalg``, ``ops_image``).

Example:
    >>> from fnlearn.keras.ops import nn, numpy
    >>> nn.relu([-1.0, 2.0]).numpy().tolist(), numpy.nansum([1.0, float("nan")]).numpy().tolist()
    ([0.0, 2.0], 1.0)
"""

from __future__ import annotations

import sys
import types
from typing import Any

from ._missing import not_provided

NUMPY_NAMES = """abs absolute add all allclose amax amin angle any append arange arccos arccosh arcsin arcsinh arctan
arctan2 arctanh argmax argmin argpartition argsort array array_split average bartlett bincount bitwise_and
bitwise_invert bitwise_left_shift bitwise_not bitwise_or bitwise_right_shift bitwise_xor blackman broadcast_to cbrt
ceil clip concatenate conj conjugate copy corrcoef correlate cos cosh count_nonzero cross cumprod cumsum deg2rad diag
diagflat diagonal diff digitize divide divide_no_nan dot dsplit dstack einsum empty empty_like equal exp exp2
expand_dims expm1 eye fabs flip fliplr flipud floor floor_divide fmax fmin fmod full full_like gcd geomspace get_item
greater greater_equal hamming hanning heaviside histogram hsplit hstack hypot i0 identity imag inner isclose isfinite
isin isinf isnan isneginf isposinf isreal kaiser kron lcm ldexp left_shift less less_equal linspace log log10 log1p
log2 logaddexp logaddexp2 logical_and logical_not logical_or logical_xor logspace matmul max maximum mean median
meshgrid min minimum mod moveaxis multiply nan_to_num nanargmax nanargmin nancumprod nancumsum nanmax nanmean
nanmedian nanmin nanpercentile nanprod nanquantile nanstd nansum nanvar ndim negative nextafter nonzero not_equal ones
ones_like outer pad percentile power prod ptp quantile rad2deg ravel real reciprocal repeat reshape right_shift roll
rot90 round searchsorted select sign signbit sin sinc sinh size slogdet sort split sqrt square squeeze stack std
subtract sum swapaxes take take_along_axis tan tanh tensordot tile trace transpose trapezoid tri tril triu
true_divide trunc unique unravel_index vander var vdot vectorize view vsplit vstack where zeros zeros_like""".split()

NN_NAMES = """adaptive_average_pool adaptive_max_pool average_pool batch_normalization binary_crossentropy
categorical_crossentropy celu conv conv_transpose ctc_decode ctc_loss depth_to_space depthwise_conv
dot_product_attention elu fold gelu glu hard_shrink hard_sigmoid hard_silu hard_swish hard_tanh layer_normalization
leaky_relu log_sigmoid log_softmax max_pool moments multi_hot normalize one_hot polar psnr relu relu6
rms_normalization selu separable_conv sigmoid silu soft_shrink softmax softplus softsign space_to_depth
sparse_categorical_crossentropy sparse_plus sparse_sigmoid sparsemax squareplus swish tanh_shrink threshold
unfold""".split()


def group(name: str, keras_names: list[str], ops: Any) -> types.ModuleType:
    """A module ``fnlearn.keras.ops.<name>`` holding ``ops``'s functions for those of ``keras_names`` it has."""
    full = f"{ops.__name__}.{name}"
    module = types.ModuleType(full, f"``keras.ops.{name}``: Keras's {name} ops, the same functions as "
                                    "``keras.ops``'s.")
    have = [n for n in keras_names if n in ops.__all__]
    for n in have:
        setattr(module, n, getattr(ops, n))
    module.__all__ = have
    module.__getattr__ = not_provided(full, have)
    sys.modules[full] = module  # so that ``from fnlearn.keras.ops.nn import relu`` imports too
    return module
