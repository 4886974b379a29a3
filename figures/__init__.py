"""Figure builders, models and stimuli: research code, importable on its own.

Every module here that defines a ``@builder`` becomes a directive of the same name. Keep torch
imports inside builder functions: the site must build from a fresh figure store without torch.
"""
