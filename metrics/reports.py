"""
The public's "Report a problem" form, and what keeps it from spam without
a third-party service:

- a honeypot: a field hidden from people and screen readers, labelled
  "leave this empty"; programs that fill in every field fill it in;
- a signed time: the form carries when it was drawn, signed with the
  site's key (django.core.signing); a submission sooner than
  MIN_SECONDS after that, later than MAX_AGE, or with a signature that
  does not check out is refused;
- a budget of submissions per client address (PROBLEM_REPORT_BUDGET,
  e.g. "5/hour"), counted in the cache like the render budget
  (metrics.render_budget), whether the submission is accepted or not;
- length limits on the text and the address.

A refused submission writes nothing. Nothing here uses a session: the
public never gets one (anonymous requests never write).
"""

import math
import time

from django import forms
from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from metrics.models.reports import DESCRIPTION_MAX_LENGTH, DESCRIPTION_MIN_LENGTH
from metrics.throttling import seconds_past_budget

SALT = "metrics.problem-report"
# A person reads the form before sending it; a program posts at once.
MIN_SECONDS = 3
# A form left open longer than a day is drawn again.
MAX_AGE = 24 * 60 * 60

REFUSED_TOO_FAST = _(
    "The form was sent less than %(seconds)d seconds after it was opened, faster than a "
    "person types. Please check what you wrote and send it again."
)
REFUSED_TOO_OLD = _(
    "The form was opened more than a day ago. Please check what you wrote and send it again."
)
REFUSED_UNSIGNED = _(
    "The form could not be checked (it was changed or is incomplete). Please send it again "
    "from this page."
)
REFUSED_HONEYPOT = _(
    "The field “Leave this field empty” was filled in, as programs that send spam do. "
    "Please empty it and send the form again."
)


def draw_token(kind: str, pk: int) -> str:
    """The signed time a form for this record is drawn, carried in the form."""
    return signing.dumps([kind, pk, time.time()], salt=SALT)


class ProblemReportForm(forms.Form):
    """What a reader reports about one record: what looks wrong, and where to answer."""

    description = forms.CharField(
        label=_("What looks wrong?"),
        min_length=DESCRIPTION_MIN_LENGTH,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": DESCRIPTION_MAX_LENGTH}),
        help_text=_(
            "For example: which number, and what you believe it should be, with a source if "
            "you have one. Between 10 and 2,000 characters."
        ),
        error_messages={
            "required": _("Please say what looks wrong."),
            "min_length": _(
                "Please say a little more: at least %(limit_value)d characters "
                "(you wrote %(show_value)d)."
            ),
            "max_length": _(
                "Please keep it shorter: at most %(limit_value)d characters "
                "(you wrote %(show_value)d)."
            ),
        },
    )
    email = forms.EmailField(
        label=_("Your e-mail address (optional)"),
        required=False,
        max_length=254,
        help_text=_("Only if you would like an answer by e-mail. It is never shown publicly."),
        error_messages={"invalid": _("Please enter a valid e-mail address, or leave it empty.")},
    )
    # The honeypot: the template hides it from people and screen readers.
    website = forms.CharField(label=_("Leave this field empty"), required=False)
    drawn = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, kind: str, pk: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind, self.pk = kind, pk

    def clean(self):
        cleaned = super().clean()
        if self.data.get("website"):
            raise forms.ValidationError(REFUSED_HONEYPOT, code="honeypot")
        try:
            kind, pk, drawn_at = signing.loads(
                self.data.get("drawn", ""), salt=SALT, max_age=MAX_AGE
            )
        except signing.SignatureExpired:
            raise forms.ValidationError(REFUSED_TOO_OLD, code="too_old") from None
        except (signing.BadSignature, TypeError, ValueError):
            raise forms.ValidationError(REFUSED_UNSIGNED, code="unsigned") from None
        if [kind, pk] != [self.kind, self.pk]:
            raise forms.ValidationError(REFUSED_UNSIGNED, code="unsigned")
        if time.time() - drawn_at < MIN_SECONDS:
            raise forms.ValidationError(
                REFUSED_TOO_FAST, code="too_fast", params={"seconds": MIN_SECONDS}
            )
        return cleaned


def seconds_over_report_budget(request) -> int | None:
    """
    Count a report submission for the request's client; past
    PROBLEM_REPORT_BUDGET, the seconds until it may send again.
    """
    return seconds_past_budget(settings.PROBLEM_REPORT_BUDGET, "report-budget", request)


def over_budget_message(wait: int) -> str:
    """What a client past its report budget is told."""
    minutes = math.ceil(wait / 60)
    return ngettext(
        "Several reports were sent from this address in a short time. Please try again in "
        "%(minutes)d minute.",
        "Several reports were sent from this address in a short time. Please try again in "
        "%(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
