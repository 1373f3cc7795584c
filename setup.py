# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""kerasmeta: gradient-based meta-learning for TensorFlow and Keras 3."""

import re

import setuptools

with open("kerasmeta/version.py", encoding="utf-8") as version_file:
  VERSION = re.search(r'__version__ = "([^"]+)"', version_file.read())[1]

setuptools.setup(
    name="kerasmeta",
    version=VERSION,
    license="Apache-2.0",
    author="The kerasmeta Authors",
    description=("Gradient-based meta-learning (MAML, Meta-SGD, T-net, "
                 "MT-net, WarpGrad, ...) for TensorFlow and Keras 3."),
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    # Only kerasmeta: the checkout's `apps` and `export` folders are entry
    # points into kerasmeta.apps, not packages to install.
    packages=setuptools.find_packages(include=["kerasmeta", "kerasmeta.*"]),
    entry_points={"console_scripts": [
        "kerasmeta-train = kerasmeta.apps.meta_train:run",
        "kerasmeta-evaluate = kerasmeta.apps.evaluate:run",
        "kerasmeta-export = kerasmeta.apps.export_adapter:run",
    ]},
    python_requires=">=3.10,<3.13",
    install_requires=[
        "tensorflow>=2.16",
        "keras>=3",
        "tensorflow-probability[tf]",
        "tensorflow-datasets",
        "tensorboard",
        "absl-py",
        "ml-collections",
        "matplotlib",
        "numpy",
        # The 8x8 handwritten digits learned optimisers train on (shipped
        # inside the package: no download).
        "scikit-learn",
    ],
    extras_require={
        # gRPC client of export/serving (REST needs nothing more).
        "serving": ["tensorflow-serving-api"],
        # pytest-xdist: the suite runs on two processes (pytest.ini).
        "test": ["pytest", "pytest-xdist", "mypy", "tensorflow-serving-api",
                 # the release's build and metadata check
                 "build", "twine", "wheel",
                 # the documentation site, built in the tests
                 "mkdocs", "mkdocs-material", "mkdocstrings[python]",
                 "latex2mathml"],
    },
    classifiers=[
        "Development Status :: 3 - Alpha",
        "Intended Audience :: Science/Research",
        "License :: OSI Approved :: Apache Software License",
        "Operating System :: OS Independent",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
