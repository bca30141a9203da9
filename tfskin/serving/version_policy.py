"""Which versions of each model ``tfskin serve`` keeps loaded, and its labels: ``models.config``'s
``model_version_policy`` and ``version_labels``, applied as TF Serving applies them.

TF Serving's default policy is ``latest { num_versions: 1 }``; ``all {}`` serves every version and
``specific { versions: ... }`` the listed ones. Versions outside the policy are not loaded (requests for them
answer 404).
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class VersionPolicy:
    """``kind`` is "latest" (``count`` newest versions), "all" or "specific" (``versions``)."""

    kind: str = "latest"
    count: int = 1
    versions: frozenset = frozenset()

    def select(self, available) -> set:
        """The versions of ``available`` this policy serves."""
        available = set(available)
        if self.kind == "all":
            return available
        if self.kind == "specific":
            return available & set(self.versions)
        return set(sorted(available, reverse=True)[:max(self.count, 1)])

    def describe(self) -> str:
        if self.kind == "all":
            return "all {}"
        if self.kind == "specific":
            return "specific { " + " ".join(f"versions: {v}" for v in sorted(self.versions)) + " }"
        return f"latest {{ num_versions: {self.count} }}"


DEFAULT_POLICY = VersionPolicy()


@dataclass(frozen=True)
class ModelSettings:
    """What models.config says about one model: its version policy and labels (label -> version)."""

    policy: VersionPolicy = DEFAULT_POLICY
    labels: dict = field(default_factory=dict)


def policy_from_proto(proto) -> VersionPolicy:
    which = proto.WhichOneof("policy_choice")
    if which == "all":
        return VersionPolicy("all")
    if which == "specific":
        return VersionPolicy("specific", versions=frozenset(int(v) for v in proto.specific.versions))
    if which == "latest" and proto.latest.num_versions:
        return VersionPolicy("latest", count=int(proto.latest.num_versions))
    return DEFAULT_POLICY


def settings_from_config(config) -> dict:
    """model name -> ModelSettings for every model a parsed models.config (ModelServerConfig) lists."""
    out = {}
    for model in config.model_config_list.config:
        policy = policy_from_proto(model.model_version_policy) if model.HasField("model_version_policy") \
            else DEFAULT_POLICY
        out[model.name] = ModelSettings(policy, {k: int(v) for k, v in model.version_labels.items()})
    return out
