"""What tensorlib deliberately lacks (whole-object pickling, CUDA) fails with an error saying what to do."""

import os

import pytest

import tensorlib as tl
import tensorlib.nn as nn


@pytest.mark.parametrize("make", [lambda m: m, lambda m: tl.optim.SGD(m.parameters(), lr=0.1),
                                  lambda m: {"epoch": 1, "model": m}])
def test_saving_a_whole_module_or_optimizer_points_to_state_dict(tmp_path, make):
    model = nn.Sequential(nn.Linear(2, 2))
    with pytest.raises(TypeError, match=r"state_dict\(\).*load_state_dict\(tensorlib.load\(path\)\)"):
        tl.save(make(model), tmp_path / "model.pt")
    assert os.listdir(tmp_path) == []  # nothing half-written


def test_the_suggested_state_dict_round_trip_works(tmp_path):
    model = nn.Linear(2, 2)
    tl.save(model.state_dict(), tmp_path / "model.pt")
    again = nn.Linear(2, 2)
    assert repr(again.load_state_dict(tl.load(tmp_path / "model.pt"))) == "<All keys matched successfully>"


def test_cuda_requests_say_what_to_do_instead():
    model = nn.Linear(2, 2)
    with pytest.raises(RuntimeError, match=r"CPU only.*device='cpu'.*torch.cuda.is_available\(\)"):
        model.cuda()
    packed = nn.utils.rnn.pack_sequence([tl.ones(2, 1)])
    with pytest.raises(RuntimeError, match=r"CPU only.*device='cpu'"):
        packed.cuda()
    for request in (lambda: tl.zeros(2, device="cuda"), lambda: tl.zeros(2).to("cuda"), lambda: model.to("cuda")):
        with pytest.raises(RuntimeError, match="CPU only"):
            request()
