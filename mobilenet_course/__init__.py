"""mobilenet_course: the package of the course "MobileNet from first principles".

>>> import mobilenet_course as mc
>>> model = mc.from_name("0.75-MobileNet-128")
>>> mc.costs.profile(model).params
2569144
"""

from . import (bench, browser, checks, cli, costs, data, deploy, exercises, experiments, family, inference, notebook,
               plots, pretrained, reference, tables, train)
from .model import ConvMobileNet, MobileNetV1, ShallowMobileNet
from .names import PAPER_ALPHAS, PAPER_RESOLUTIONS, from_name, model_name, paper_grid

__version__ = "0.1.0"

__all__ = ["ConvMobileNet", "MobileNetV1", "ShallowMobileNet", "PAPER_ALPHAS", "PAPER_RESOLUTIONS", "costs",
           "from_name", "model_name", "paper_grid", "reference", "tables", "family", "exercises", "data", "train", "bench",
           "deploy", "experiments", "inference", "notebook", "plots", "pretrained", "checks", "browser", "__version__"]
