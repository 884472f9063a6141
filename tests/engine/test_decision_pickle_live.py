"""A decision pickled on its own carries its plan once, as bytes, and an
unpickling process that already holds a layout of the same plan bytes gets
that live layout (with its compiled programs) back: a decision sent alone
through a multiprocessing queue or a cache was ~0.1 s to unpickle and
decide again (its plan rebuilt, its programs compiled anew each time)."""

import datetime
import pickle
import subprocess
import sys

import safetyrules

DAY = datetime.date(2024, 3, 1)
FACTS = {"entity": {"sector": "catering", "id": "E1"}, "gas": {"fuel_used": True, "alarm": {"installed": False}}}


def test_an_unpickled_decision_shares_the_live_layout_and_says_the_same():
    rules = safetyrules.load()
    d = rules.evaluate(FACTS, as_of=DAY)
    data = pickle.dumps(d)
    again = pickle.loads(data)
    assert again is not d and again == d and hash(again) == hash(d)
    assert again._layout is d._layout  # the live layout, not a rebuilt copy
    assert again.to_json() == d.to_json()
    # pickled once per layout: two decisions of one layout carry the same plan bytes
    other = rules.evaluate({"entity": {"sector": "retail"}}, as_of=DAY)
    assert other._layout is d._layout
    assert pickle.loads(pickle.dumps(other))._layout is d._layout
    # a list of decisions holds the plan once, as before
    assert len(pickle.dumps([d, other])) < len(data) + 10_000


def test_a_decision_unpickled_in_another_process_says_the_same(tmp_path):
    rules = safetyrules.load()
    d = rules.evaluate(FACTS, as_of=DAY)
    path = tmp_path / "d.pickle"
    path.write_bytes(pickle.dumps([d, d]))
    code = ("import pickle, sys; a, b = pickle.loads(open(sys.argv[1], 'rb').read()); "
            "assert a._layout is b._layout; sys.stdout.write(a.to_json())")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert out.stdout == d.to_json()
