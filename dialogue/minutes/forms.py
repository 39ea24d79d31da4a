"""Forms of the minutes: the draft's text, sending it back, approving and publishing."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from dialogue.documents.models import DocumentType
from dialogue.minutes.models import TurnOrder
from dialogue.minutes.operations import MAX_REASON_LENGTH, MAX_TEXT_LENGTH, DraftData

# Room for a whole paragraph typed over the limit: the operation names the limit.
_TEXT_LIMIT = MAX_TEXT_LENGTH * 2


def _version(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class DraftForm(FlaskForm):
    """The narrative parts of a BB or a TB; the rest is composed from the records."""

    opening = TextAreaField(
        _l("Opening"),
        validators=[Length(max=_TEXT_LIMIT)],
        description=_l(
            "Who opened the conference and why it was held. One paragraph a line; "
            "the text is printed as typed, never as markup."
        ),
        render_kw={"rows": 6},
    )
    report_summary = TextAreaField(
        _l("Summary of the report"),
        validators=[Length(max=_TEXT_LIMIT)],
        description=_l(
            "What the report said before the dossier figures, which the document adds as a "
            "table. One paragraph a line."
        ),
        render_kw={"rows": 6},
    )
    conclusion = TextAreaField(
        _l("Conclusion"),
        validators=[Length(max=_TEXT_LIMIT)],
        description=_l(
            "The chair's conclusion as the document words it. The tasks are added from the "
            "conclusion recorded at the close. One paragraph a line."
        ),
        render_kw={"rows": 8},
    )
    recipients = TextAreaField(
        _l("Recipients (Nơi nhận)"),
        validators=[Length(max=_TEXT_LIMIT)],
        description=_l(
            "One recipient a line, the last normally “Lưu: VT, Hồ sơ”. "
            "The document adds the dashes and semicolons."
        ),
        render_kw={"rows": 6},
    )
    turn_order = SelectField(
        _l("Order of the speaking turns"),
        choices=[
            SelectChoice(order.value, order.title)
            for order in (TurnOrder.SPEAKING, TurnOrder.BY_AREA)
        ],
        default=TurnOrder.SPEAKING.value,
    )
    # The draft's version when the form was opened: a save made against an older one is refused.
    version = HiddenField(filters=[_version])

    def __init__(self, *args, doc_type: DocumentType, **kwargs):
        super().__init__(*args, **kwargs)
        if doc_type is DocumentType.NOTICE:
            self.opening.label.text = _l("Assessment")
            self.opening.description = _l(
                "The chair's assessment of the conference that opens the notice. "
                "One paragraph a line; the text is printed as typed, never as markup."
            )
            self.conclusion.description = _l(
                "What the chair concluded. The tasks and the questions referred for a written "
                "answer are added from the records. One paragraph a line."
            )

    def to_data(self) -> DraftData:
        return DraftData(
            opening=self.opening.data or "",
            report_summary=self.report_summary.data or "",
            conclusion=self.conclusion.data or "",
            recipients=self.recipients.data or "",
            turn_order=TurnOrder(self.turn_order.data),
        )


class ReturnForm(FlaskForm):
    reason = TextAreaField(
        _l("What should be changed"),
        validators=[DataRequired(), Length(max=MAX_REASON_LENGTH)],
        description=_l("The secretaries read this when they open the draft again."),
        render_kw={"rows": 3},
    )


class PublishForm(FlaskForm):
    confirm = BooleanField(
        _l("I have read this document and approve it for publication."),
        validators=[DataRequired(message=_l("Tick the box to confirm the approval."))],
    )
    pdfa = BooleanField(
        _l("Archive format PDF/A-3u"),
        description=_l("For records kept in the archive; the file is slightly larger."),
    )
    correction_reason = TextAreaField(
        _l("Reason for the correction"),
        validators=[Length(max=MAX_REASON_LENGTH)],
        description=_l(
            "Printed with the new version, for example: “Sửa lỗi chính tả tên đơn vị tại mục 2”."
        ),
        render_kw={"rows": 3},
    )
