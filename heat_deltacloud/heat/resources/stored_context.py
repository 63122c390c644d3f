"""Not a resource: loaded with the plugins so the engine's stored contexts
never ask Keystone (see
:func:`heat_deltacloud.heat.keystone.answer_stored_contexts_locally`).

Heat loads every module of ``plugin_dirs`` when its engine starts, before
it loads any stack; signals and scaling act with the stored context.
"""

from heat_deltacloud.heat import keystone

keystone.answer_stored_contexts_locally()
