import pytest
import torch

import mobilenet_course as mc
from mobilenet_course import cli, data, train

from book import SITE, build_site

# The google.colab stand-in is for the Colab-like subprocesses only: imported here (as --doctest-modules would), it
# would shadow the real google namespace package and break google.protobuf, which ONNX export needs.
collect_ignore = ["colab_stub"]


def pytest_collection_modifyitems(config, items):
    """Tests that need the built book or a browser are ``slow``; tests marked ``cuda`` skip, with the reason, on a
    machine without a CUDA GPU (CI has none; Colab's GPU runtime does)."""
    skip = pytest.mark.skip(reason="needs a CUDA GPU (torch.cuda.is_available() is false)")
    for item in items:
        if {"site", "browser"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
        if "cuda" in item.keywords and not torch.cuda.is_available():
            item.add_marker(skip)

@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The book built once per test session from the notebooks' stored outputs, warnings as errors."""
    result = build_site(tmp_path_factory.mktemp("config"))
    assert result.returncode == 0, f"jupyter-book build -W failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return SITE


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium, driven by Playwright (never a browser that Playwright downloads)."""
    from playwright.sync_api import sync_playwright

    from browser import launch

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def rendered(site, browser):
    """The built book's pages, each opened once per width and read by every registered probe (browser.RenderedSite):
    the accessibility and figure checks share the page loads."""
    from book import serve

    from browser import RenderedSite

    server, url = serve(site)
    pages = RenderedSite(browser, url)
    yield pages
    pages.context.close()
    server.shutdown()


# Trained models shared by test_inference.py, test_benchmarks.py and test_deploy.py (each trained once per run).

def synthetic_splits(train_size: int, test_size: int, seed: int = 0) -> dict:
    """Ten classes of 28x28 grey images (uint8, as Fashion-MNIST): stripes at one of five angles and one of two widths,
    at a random phase, plus noise. Each class is a local texture, which a small network learns in under 200 steps.
    """
    g = torch.Generator().manual_seed(seed)
    y, x = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    angles, periods = torch.arange(5) * torch.pi / 5, torch.tensor([4.0, 8.0])

    def split(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        labels = (torch.arange(n) % 10)[torch.randperm(n, generator=g)]
        angle, period = angles[labels % 5, None, None], periods[labels // 5, None, None]
        phase = 2 * torch.pi * torch.rand(n, 1, 1, generator=g)
        stripes = torch.sin(2 * torch.pi * (x * torch.cos(angle) + y * torch.sin(angle)) / period + phase)
        images = 128 + 90 * stripes[:, None] + 25 * torch.randn(n, 1, 28, 28, generator=g)
        return images.round().clamp(0, 255).to(torch.uint8), labels

    return {"train": split(train_size), "test": split(test_size)}


@pytest.fixture(scope="session")
def trained():
    """0.25-MobileNet-32 trained on synthetic images until its predictions are confident; test images it has not
    seen, calibration images from the training set, and its eager fp32 logits on the test images."""
    torch.manual_seed(0)
    model = mc.MobileNetV1(0.25, 32, 10, in_channels=1)  # the 28 px images are padded to 32
    train_loader, test_loader = data.loaders(synthetic_splits(2000, 512), 32, batch_size=32, augment=False)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # batches this small run nearly as fast on one thread, and do not stall on a busy machine
    try:
        history = train.fit(model, train_loader, test_loader, epochs=3, lr=0.01, device="cpu", progress=False)
    finally:
        torch.set_num_threads(threads)
    # Unsure predictions, or one class for every image, would make the int8 agreement checks below meaningless (as they
    # were with the 1-epoch Fashion-MNIST model this replaces: in eval mode it gave every image the same logits).
    assert history.test_accuracy >= 0.95, f"the test model reached only {history.test_accuracy:.3f}"
    images, calibration = test_loader.dataset.images, train_loader.dataset.images[:256]
    with torch.no_grad():
        expected = model.eval()(images)
    return model, images, calibration, expected


@pytest.fixture(scope="session")
def checkpoint(tmp_path_factory):
    """A small model trained briefly on real Fashion-MNIST, as `mobilenet-course train` writes it: the script measures
    int8's agreement with fp32 on the real test set, where a model trained on anything else would mean little.

    About 190 steps: after 16 (2,000 images, one epoch of 128) the model gave every test image the same class in eval
    mode (10% accuracy), which int8 agreed with trivially."""
    path = tmp_path_factory.mktemp("ckpt") / "small.pt"
    assert cli.main(["train", "--alpha", "0.25", "--subset", "6000", "--epochs", "2", "--batch-size", "64",
                     "--threads", "1", "--no-progress", "--checkpoint", str(path)]) == 0
    return path
