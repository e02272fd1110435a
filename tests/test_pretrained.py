"""The peers' weights in the package's model: Keras 3 (torch backend, random weights, no download) and timm's names.

Keras' MobileNet is built with ``weights=None`` and given batch-norm statistics from a forward pass, so a wrong
epsilon or a swapped mean and variance would show; every comparison is against Keras' own output.
"""

import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import mobilenet_course as mc
from mobilenet_course import pretrained
from mobilenet_course.model import TABLE1_BLOCKS

os.environ.setdefault("KERAS_BACKEND", "torch")  # before Keras is imported anywhere
keras = pytest.importorskip("keras", reason="the Keras tests need Keras 3: pip install keras")

GRID = [(alpha, resolution) for alpha in mc.PAPER_ALPHAS for resolution in mc.PAPER_RESOLUTIONS]


@pytest.mark.slow
@pytest.mark.parametrize("alpha, resolution", GRID)
def test_keras_logits_equal_on_the_paper_grid(alpha, resolution):
    difference = pretrained.keras_difference(alpha, resolution)
    assert difference < 1e-4, f"{alpha}-MobileNet-{resolution}: logits differ from Keras' by {difference}"


def test_keras_logits_equal_and_each_option_is_needed():
    assert pretrained.keras_difference(0.25, 128) < 1e-4
    symmetric = pretrained.keras_difference(0.25, 128, padding="symmetric")
    assert symmetric > 0.1, f"PyTorch's symmetric padding with Keras' weights should change the logits ({symmetric})"
    torch_eps = pretrained.keras_difference(0.25, 128, bn_eps=1e-5)
    assert torch_eps > 0.1, f"batch norm's epsilon 1e-5 instead of Keras' 1e-3 should change the logits ({torch_eps})"


@pytest.mark.parametrize("alpha, resolution, batch", [(1.0, 200, 2), (0.5, 97, 4), (0.1, 64, 8), (0.35, 96, 4)])
def test_keras_logits_equal_off_the_grid(alpha, resolution, batch):
    """Odd sides (Keras halves 25 px to 12) and alphas where Keras' int(c * alpha) has no floor of 8."""
    assert pretrained.keras_difference(alpha, resolution, batch=batch) < 1e-4


def test_from_keras_reads_alpha_resolution_and_options_from_the_model():
    model = pretrained.from_keras(pretrained.keras_mobilenet(0.1, 64))
    assert (model.alpha, model.resolution, model.num_classes) == (0.1, 64, 1000)
    assert (model.activation, model.padding, model.bn_eps, model.rounding) == ("relu6", "keras", 1e-3, "keras")
    assert model.features[0][0].out_channels == 3  # int(32 * 0.1): Keras has no floor of 8
    assert pretrained.from_keras(pretrained.keras_mobilenet(0.75, 128)).rounding == "tf-slim"  # the same network


def test_from_keras_loads_a_weights_file_and_refuses_what_it_cannot_use(tmp_path):
    source = pretrained.keras_mobilenet(0.25, 128)
    pretrained.keras_batch_norm_from_data(source, np.zeros((1, 128, 128, 3), np.float32))
    path = tmp_path / "mine.weights.h5"
    source.save_weights(path)
    with pytest.raises(ValueError, match="give alpha= and resolution="):
        pretrained.from_keras(path)
    loaded = pretrained.from_keras(path, alpha=0.25, resolution=128).state_dict()
    for key, value in pretrained.from_keras(source).state_dict().items():
        assert torch.equal(loaded[key], value), key
    (tmp_path / "mobilenet_2_5_128_tf_no_top.h5").write_bytes(b"")
    with pytest.raises(ValueError, match="no classifier"):
        pretrained.from_keras(tmp_path / "mobilenet_2_5_128_tf_no_top.h5")
    with pytest.raises(ValueError, match="no classifier"):
        pretrained.from_keras(keras.applications.MobileNet(input_shape=(128, 128, 3), alpha=0.25, weights=None,
                                                           include_top=False))
    with pytest.raises(ValueError, match="depth_multiplier"):
        pretrained.from_keras(keras.applications.MobileNet(input_shape=(128, 128, 3), alpha=0.25, weights=None,
                                                           depth_multiplier=2))
    with pytest.raises(TypeError, match="keras.applications.MobileNet"):
        pretrained.from_keras(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="does not give the model's channels"):
        pretrained.from_keras(source, alpha=0.5)


def test_predict_gives_keras_top5_on_a_photo(tmp_path):
    from PIL import Image

    source = pretrained.keras_mobilenet(0.5, 128)
    rng = np.random.default_rng(1)
    pretrained.keras_batch_norm_from_data(source, rng.uniform(-1, 1, (4, 128, 128, 3)).astype(np.float32))
    # a smooth 300x200 photo-like image, so that nearest-neighbour resizing is what decides the pixels
    y, x = np.mgrid[0:200, 0:300]
    photo = np.stack([(x * 0.8) % 256, (y * 1.2) % 256, (x + y) % 256], axis=-1).astype(np.uint8)
    path = tmp_path / "photo.png"
    Image.fromarray(photo).save(path)

    pixels = keras.utils.img_to_array(keras.utils.load_img(path, target_size=(128, 128)))[None]
    probabilities = keras.ops.convert_to_numpy(
        keras.ops.softmax(source(keras.applications.mobilenet.preprocess_input(pixels))))[0]
    expected = np.argsort(probabilities)[::-1][:5]

    top = pretrained.predict(pretrained.from_keras(source), path)
    assert [index for index, _ in top] == list(expected)
    assert np.allclose([p for _, p in top], probabilities[expected], atol=1e-5)
    with pytest.raises(ValueError, match="no image file"):
        pretrained.predict(pretrained.from_keras(source), tmp_path / "missing.png")
    with pytest.raises(ValueError, match="needs a model with a .preprocessing"):
        pretrained.predict(mc.MobileNetV1(0.25, 128), path)


def test_timm_preprocessing_resizes_the_shorter_side_and_crops_the_centre():
    photo = np.zeros((200, 300, 3), np.uint8)
    photo[:, 150:] = 255  # right half white
    prepared = pretrained.timm_preprocessing(224)(photo)
    assert prepared.shape == (1, 3, 224, 224)
    # 200x300 -> 256x384, centre 224: the white half starts in the middle column
    assert prepared[0, 0, 0, 0] == -1 and prepared[0, 0, 0, -1] == 1
    assert pretrained.timm_preprocessing(224).as_metadata()["resize"].startswith("shorter side to 256 px")


# timm ----------------------------------------------------------------------------------------------------------------
# timm's MobileNet v1 (timm/models/efficientnet.py, _gen_mobilenet_v1): conv_stem and bn1, then blocks.{stage}.{index}
# with conv_dw, bn1, conv_pw and bn2 (stages of 1, 2, 2, 6 and 2 blocks), and classifier; ReLU6, eps 1e-5, padding 1.

def timm_state_dict(channels, num_classes=10, seed=0):
    """A state dict with timm's names and shapes and random values (running statistics included)."""
    generator = torch.Generator().manual_seed(seed)

    def batch_norm(prefix, c):
        return {f"{prefix}.weight": torch.rand(c, generator=generator) + 0.5,
                f"{prefix}.bias": torch.rand(c, generator=generator) - 0.5,
                f"{prefix}.running_mean": torch.rand(c, generator=generator) - 0.5,
                f"{prefix}.running_var": torch.rand(c, generator=generator) + 0.5,
                f"{prefix}.num_batches_tracked": torch.tensor(7)}

    state = {"conv_stem.weight": torch.randn(channels[0], 3, 3, 3, generator=generator) * 0.3,
             **batch_norm("bn1", channels[0])}
    block = 0
    for stage, count in enumerate((1, 2, 2, 6, 2)):
        for index in range(count):
            c_in, c_out = channels[block], channels[block + 1]
            prefix = f"blocks.{stage}.{index}"
            state[f"{prefix}.conv_dw.weight"] = torch.randn(c_in, 1, 3, 3, generator=generator) * 0.5
            state.update(batch_norm(f"{prefix}.bn1", c_in))
            state[f"{prefix}.conv_pw.weight"] = torch.randn(c_out, c_in, 1, 1, generator=generator) * (1 / c_in) ** 0.5
            state.update(batch_norm(f"{prefix}.bn2", c_out))
            block += 1
    state["classifier.weight"] = torch.randn(num_classes, channels[-1], generator=generator) * 0.1
    state["classifier.bias"] = torch.randn(num_classes, generator=generator) * 0.1
    return state


def timm_forward(state, x):
    """timm's MobileNet v1 written out from its state dict: what from_timm's model must compute."""
    def conv_bn_relu6(x, conv, bn, stride, groups):
        x = F.conv2d(x, state[conv], stride=stride, padding=state[conv].shape[-1] // 2, groups=groups)
        x = F.batch_norm(x, state[f"{bn}.running_mean"], state[f"{bn}.running_var"], state[f"{bn}.weight"],
                         state[f"{bn}.bias"], eps=1e-5)
        return F.relu6(x)

    x = conv_bn_relu6(x, "conv_stem.weight", "bn1", 2, 1)
    strides = iter(block.stride for block in TABLE1_BLOCKS)
    for stage, count in enumerate((1, 2, 2, 6, 2)):
        for index in range(count):
            prefix = f"blocks.{stage}.{index}"
            x = conv_bn_relu6(x, f"{prefix}.conv_dw.weight", f"{prefix}.bn1", next(strides), x.shape[1])
            x = conv_bn_relu6(x, f"{prefix}.conv_pw.weight", f"{prefix}.bn2", 1, 1)
    return F.linear(x.mean((2, 3)), state["classifier.weight"], state["classifier.bias"])


@pytest.mark.parametrize("alpha, rounding, channels", [
    (1.0, "tf-slim", [32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024]),
    (0.25, "tf-slim", [8, 16, 32, 32, 64, 64, 128, 128, 128, 128, 128, 128, 256, 256]),
    (0.35, "timm", [16, 24, 48, 48, 88, 88, 176, 176, 176, 176, 176, 176, 360, 360]),
])
def test_from_timm_reads_timm_names_and_computes_timms_logits(alpha, rounding, channels):
    state = timm_state_dict(channels)
    model = pretrained.from_timm(state)
    assert (model.alpha, model.rounding, model.num_classes) == (alpha, rounding, 10)
    assert (model.activation, model.padding, model.bn_eps) == ("relu6", "symmetric", 1e-5)
    # the fifth block of Table 1 (features[5]) is timm's second block of the third stage
    assert torch.equal(model.features[5].depthwise[0].weight, state["blocks.2.1.conv_dw.weight"])
    assert torch.equal(model.features[5].pointwise[1].running_var, state["blocks.2.1.bn2.running_var"])
    x = torch.randn(2, 3, 96, 96, generator=torch.Generator().manual_seed(1))
    model = pretrained.from_timm(state, resolution=96)
    with torch.no_grad():
        assert torch.allclose(model(x), timm_forward(state, x), atol=1e-5)


def test_from_timm_refuses_what_is_not_mobilenet_v1():
    state = timm_state_dict([32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024])
    with pytest.raises(ValueError, match="head convolution"):
        pretrained.from_timm({**state, "conv_head.weight": torch.zeros(1024, 1024, 1, 1)})
    with pytest.raises(ValueError, match="unexpected"):
        pretrained.from_timm({**state, "blocks.1.2.conv_dw.weight": torch.zeros(128, 1, 3, 3)})
    with pytest.raises(ValueError, match="no 'conv_stem.weight'"):
        pretrained.from_timm({"features.0.0.weight": torch.zeros(1)})
    with pytest.raises(ValueError, match="does not give the model's channels"):
        pretrained.from_timm(state, alpha=0.5)
    with pytest.raises(TypeError, match="timm model or its state dict"):
        pretrained.from_timm([1, 2])


def test_timm_model_gives_the_same_logits_when_timm_is_importable():
    """timm needs torchvision, which does not import beside this torch; where both import, compare with timm."""
    try:
        import timm
        from timm.models.efficientnet import _gen_mobilenet_v1
    except Exception as error:  # ImportError, or torchvision's own error on import
        pytest.skip(f"timm does not import here ({type(error).__name__}: {str(error)[:80]})")
    for source in (timm.create_model("mobilenetv1_100"), _gen_mobilenet_v1("mobilenetv1_050", 0.5)):
        source.eval()
        model = pretrained.from_timm(source)
        x = torch.randn(2, 3, 224, 224)
        with torch.no_grad():
            assert torch.equal(model(x), source(x))


def test_logit_difference_runs_a_torch_source_in_eval_mode_and_restores_its_mode():
    state = timm_state_dict([8, 16, 32, 32, 64, 64, 128, 128, 128, 128, 128, 128, 256, 256])

    class TimmLike(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = torch.nn.Parameter(torch.ones(()))

        def forward(self, x):
            assert not self.training
            return timm_forward(state, x) * self.scale

    source = TimmLike().train()
    x = torch.randn(2, 3, 64, 64)
    assert pretrained.logit_difference(source, pretrained.from_timm(state, resolution=64), x) < 1e-5
    assert source.training
    assert pretrained.logit_difference(source, mc.MobileNetV1(0.25, 64, 10), x) > 0.1
