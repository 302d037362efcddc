"""``tensorlib.nn``: modules, parameters, functional ops, initialisation and utilities."""

from . import functional, init, parallel, utils
from .modules import *
from .modules import Module, ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .parameter import Buffer, Parameter
