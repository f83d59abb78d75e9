"""Azure RBAC: may principal P perform control-plane (or data) action A at scope S?

The evaluator and how it answers are :mod:`.evaluator` (its docstring is the reference);
scopes are :mod:`.scopes`; action patterns and the built-in roles are :mod:`.roles`. Every name
is importable from ``asr_preflight.rbac`` as before the split.
"""

from asr_preflight.rbac.evaluator import (
    CONDITION_HINT,
    EVERYONE,
    GROUPS_HINT,
    MANAGEMENT_GROUP_PREFIX,
    MG_HINT,
    READ_PERMISSIONS,
    UNLISTED_HINT,
    Access,
    Decision,
    Evaluator,
    read_hint,
)
from asr_preflight.rbac.roles import (
    Permissions,
    action_matches,
    builtin_role,
    builtin_roles,
    describe_roles,
    smallest_roles,
)
from asr_preflight.rbac.scopes import (
    describe_scope,
    is_within,
    normalize_scope,
    scope_chain,
    subscription_of,
)

__all__ = [
    "CONDITION_HINT",
    "EVERYONE",
    "GROUPS_HINT",
    "MANAGEMENT_GROUP_PREFIX",
    "MG_HINT",
    "READ_PERMISSIONS",
    "UNLISTED_HINT",
    "Access",
    "Decision",
    "Evaluator",
    "Permissions",
    "action_matches",
    "builtin_role",
    "builtin_roles",
    "describe_roles",
    "describe_scope",
    "is_within",
    "normalize_scope",
    "read_hint",
    "scope_chain",
    "smallest_roles",
    "subscription_of",
]
