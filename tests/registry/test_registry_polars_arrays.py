"""Arrow arrays made from numpy buffers (columnar_result.numpy_array,
string_array) equal the ones ``pyarrow.array`` makes."""

import numpy as np
import pyarrow as pa
import pytest

from safetyrules.backends.columnar_result import numpy_array, string_array


@pytest.mark.parametrize("n", (0, 1, 7, 8, 9, 1000))
@pytest.mark.parametrize("typ, make", [
    (pa.bool_(), lambda r, n: r.random(n) < 0.4),
    (pa.int64(), lambda r, n: r.integers(-5, 5, n)),
    (pa.int32(), lambda r, n: r.integers(0, 9, n).astype(np.int32)),
    (pa.float64(), lambda r, n: r.random(n) * 3 - 1),
])
def test_numpy_array_is_pyarrow_array(typ, make, n):
    r = np.random.default_rng(n)
    values = make(r, n)
    null = r.random(n) < 0.3
    for mask in (None, null, np.zeros(n, bool)):
        got = numpy_array(values, typ, mask)
        want = pa.array(values, typ, mask=mask)
        assert got.type == typ and got.equals(want) and got.null_count == want.null_count
        assert got.to_pylist() == want.to_pylist()
        got.validate(full=True)


def test_string_array_is_pyarrow_array():
    for texts in ([], ["a"], ["s:a_any", "", "危险化学品", "x\u00e9y"]):
        got = string_array(texts)
        got.validate(full=True)
        assert got.equals(pa.array(texts, pa.string())) and got.to_pylist() == texts
