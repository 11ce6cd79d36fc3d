"""``cf-bluegreen init``: a starting profile, drafted from an app manifest or from nothing.

Flow, one way: ``yamldoc`` (bounded, safe YAML) -> ``manifest`` (typed app
settings) -> ``routes`` and ``from_manifest`` (profile values, each judged by
the real validator in ``judge``) -> ``tomlwriter`` (commented TOML, written
without ever overwriting). ``template`` drafts without a manifest.
"""

from generator.init.from_manifest import draft_from_manifest
from generator.init.judge import Draft
from generator.init.manifest import load_manifest
from generator.init.template import draft_template
from generator.init.tomlwriter import refuse_existing, write_new_file

__all__ = ["Draft", "draft_from_manifest", "draft_template", "load_manifest",
           "refuse_existing", "write_new_file"]
