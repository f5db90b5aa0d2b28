"""Start llama-cpp-python's OpenAI server (``python -m llama_cpp.server ARGS``) with its extra
buffer types off: on CPUs that report AMX where AMX instructions fault (this project's
machines), llama.cpp otherwise crashes on the first request (shared/notes/serving-engines.md)."""

import runpy
import sys

import llama_cpp.llama_cpp as native

_default = native.llama_model_default_params


def _params():
    params = _default()
    if hasattr(params, "use_extra_bufts"):
        params.use_extra_bufts = False
    return params


native.llama_model_default_params = _params
sys.argv = ["llama_cpp.server", *sys.argv[1:]]
runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
