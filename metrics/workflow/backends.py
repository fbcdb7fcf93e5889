"""
The publication policy as Django permissions: `user.has_perm(perm, obj)`.

Permission names are Django's (`metrics.add_observation`,
`programs.change_program`, ...) plus one per review step
(`metrics.publish_observation`, `programs.withdraw_program`,
`metrics.correct_source`, ...). With an object, the answer is the policy's
for that record: its state, the user's regions, who changed it. Without
one, the policy's answer for the user's roles. Groups carry no
permissions of their own: the roles are in `metrics.workflow.policy`.

Django answers True to every `has_perm` of an active superuser before any
backend is asked, so code that must hold superusers to review asks
`policy.can()` instead (the admin does).
"""

from django.apps import apps
from django.contrib.auth.backends import BaseBackend

from metrics.workflow import policy
from metrics.workflow.policy import Step

ACTIONS = {
    "view": Step.VIEW,
    "add": Step.CREATE,
    "change": Step.EDIT,
    "delete": Step.DELETE,
    "import": Step.CREATE,
    "submit": Step.SUBMIT,
    "publish": Step.PUBLISH,
    "return": Step.RETURN,
    "withdraw": Step.WITHDRAW,
    "reopen": Step.REOPEN,
    "correct": Step.CORRECT,
}


class WorkflowBackend(BaseBackend):
    """Answers permissions on the two apps' models from the publication policy."""

    def _model_and_step(self, perm: str):
        app_label, _dot, codename = perm.partition(".")
        action, _underscore, model_name = codename.partition("_")
        if app_label not in policy.STAFF_APPS or action not in ACTIONS:
            return None, None
        try:
            return apps.get_model(app_label, model_name), ACTIONS[action]
        except LookupError:
            return None, None

    def has_perm(self, user_obj, perm, obj=None):
        model, step = self._model_and_step(perm)
        if model is None or (obj is not None and not isinstance(obj, model)):
            return False
        return policy.can(user_obj, step, obj, model=model)

    def has_module_perms(self, user_obj, app_label):
        return app_label in policy.STAFF_APPS and bool(policy.roles_of(user_obj))
