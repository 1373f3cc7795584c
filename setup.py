"""kerasmeta: gradient-based meta-learning for TensorFlow and Keras 3."""

import setuptools

setuptools.setup(
    name="kerasmeta",
    version="0.1.0",
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
        "test": ["pytest", "pytest-xdist", "tensorflow-serving-api"],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
