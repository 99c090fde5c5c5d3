from setuptools import Extension, setup

setup(
    name="checksum",
    version="1.0",
    ext_modules=[Extension("checksum", ["checksum.c"])],
)
