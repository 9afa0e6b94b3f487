"""pyfleet's simulated storage ring: a caproto Channel Access IOC whose PV database comes from YAML.

See ``python -m pyfleet_sim --help`` and ``sim/storage-ring.yml``.
"""

from .config import ConfigError, RingConfig, load_config, parse_config

__all__ = ["ConfigError", "RingConfig", "load_config", "parse_config"]
