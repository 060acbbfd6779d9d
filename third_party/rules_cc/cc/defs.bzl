"""Minimal stand-in for rules_cc: forwards to Bazel's native C++ rules.

Debian's rules_cc 0.0.4 needs a newer Bazel than bazel-bootstrap 4.2.3. BUILD files
load from here so they stay valid when the real rules_cc replaces this shim.
@bazel_tools itself loads the toolchain rules from here too, so they are forwarded.
"""

def cc_library(**attrs):
    native.cc_library(**attrs)

def cc_binary(**attrs):
    native.cc_binary(**attrs)

def cc_test(**attrs):
    native.cc_test(**attrs)

def cc_import(**attrs):
    native.cc_import(**attrs)

def cc_proto_library(**attrs):
    native.cc_proto_library(**attrs)

def cc_toolchain(**attrs):
    native.cc_toolchain(**attrs)

def cc_toolchain_suite(**attrs):
    native.cc_toolchain_suite(**attrs)

def objc_library(**attrs):
    native.objc_library(**attrs)
