"""Conformance suite: the project's own KFP pipelines, one or more per DSL feature.

Every test runs a real pipeline through ``sluice.run`` and asserts outputs and task
states as the KFP Go backend would produce them (see /work/shared/reference/kfp-ir.md).
"""
