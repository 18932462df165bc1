"""Forms of the MOOC."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from beta_training.core.forms import DateTimeLocalField, SubmissionKeyField, choices
from beta_training.courses.models import ITEM_KIND_LABELS


class AnswerField(RadioField):
    """One question of a quiz: the id of the choice given. Refusals in French, whatever was sent."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.type = "RadioField"  # rendered as one by _macros/forms.html

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(_l("Choisissez une des réponses proposées.")) from None

    def pre_validate(self, form):
        if self.data is not None and all(self.coerce(choice.value) != self.data for choice in self.choices):
            raise ValidationError(_l("Choisissez une des réponses proposées."))


class QuizAttemptForm(FlaskForm):
    """An attempt at a quiz: one AnswerField per question (see quiz_attempt_form), and the one-time key of the
    rendered form, so a double submit is one attempt."""

    submission_key = SubmissionKeyField()

    def answer_fields(self) -> list[tuple]:
        """(question, field) in the quiz's order."""
        return [(question, self[f"question_{question.id}"]) for question in self.quiz.questions]

    def answers(self) -> dict[int, int]:
        return {question.id: field.data for question, field in self.answer_fields()}


def quiz_attempt_form(item) -> QuizAttemptForm:
    """The form of `item`'s questions. A quiz of one question without text is asked by the item's body: its
    legend is « Votre réponse »."""
    fields = {}
    for number, question in enumerate(item.questions, start=1):
        if question.text:
            label = _l("Question %(n)s : %(text)s", n=number, text=question.text) if len(item.questions) > 1 else question.text
        else:
            label = _l("Votre réponse")
        fields[f"question_{question.id}"] = AnswerField(
            label, coerce=int, choices=choices((choice.id, choice.text) for choice in question.choices),
            validators=[InputRequired(_l("Choisissez une réponse à cette question."))])
    form = type("ItemQuizAttemptForm", (QuizAttemptForm,), fields)()
    form.quiz = item
    return form


class ItemForm(FlaskForm):
    key = StringField(_l("Identifiant"), description=_l("Lettres, chiffres et tirets ; sert d’adresse et de nom de fichier. Exemple : s1-video"),
                      validators=[InputRequired(_l("Donnez un identifiant.")), Length(max=120),
                                  Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", message=_l("Utilisez des minuscules, des chiffres et des tirets, par exemple s1-video."))])
    kind = SelectField(_l("Type"), choices=choices(ITEM_KIND_LABELS.items()))
    title = StringField(_l("Titre"), validators=[InputRequired(_l("Donnez un titre.")), Length(max=200)])
    body = TextAreaField(_l("Texte (Markdown)"), description=_l("Leçon, citation du témoignage, description de la ressource ou question du quiz."),
                         validators=[Optional(), Length(max=20000)], render_kw={"rows": 8})
    video_url = StringField(_l("Adresse de la vidéo"), description=_l("Fichier .mp4/.webm ou lien d’intégration"), validators=[Optional(), Length(max=500)])
    duration_seconds = IntegerField(_l("Durée (secondes)"), validators=[
        Optional(), NumberRange(min=1, max=24 * 3600, message=_l("Indiquez une durée entre 1 seconde et 24 heures (86 400 secondes)."))])
    transcript = TextAreaField(_l("Transcription"), description=_l("Une vidéo a sa transcription : ici en texte, ou bien en lien ci-dessous."),
                               validators=[Optional(), Length(max=20000)], render_kw={"rows": 6})
    transcript_url = StringField(_l("Lien de la transcription"), description=_l("Par exemple un PDF : https://beta.gouv.fr/content/docs/mooc/4-identifier-probleme.pdf"),
                                 validators=[Optional(), Length(max=500)])
    is_testimony = BooleanField(_l("Cette vidéo est un témoignage (nom et rôle de la personne ci-dessous)"))
    subtitles_url = StringField(_l("Sous-titres (fichier .vtt)"), validators=[Optional(), Length(max=500)])
    person_name = StringField(_l("Personne (témoignage)"), validators=[Optional(), Length(max=200)])
    person_role = StringField(_l("Rôle de la personne"), validators=[Optional(), Length(max=200)])
    resource_url = StringField(_l("Lien de la ressource"), description=_l("Un lien, ou bien un fichier à télécharger ci-dessous."),
                               validators=[Optional(), Length(max=500)])
    resource_size_bytes = IntegerField(
        _l("Poids du document lié (octets)"),
        description=_l("Facultatif : le poids du document vers lequel pointe le lien, vérifié là où il est publié "
                       "(par exemple 398020 pour un PDF de 389 ko). Le lien l’affiche avec son type."),
        validators=[Optional(), NumberRange(min=1, max=10**10, message=_l("Indiquez un poids en octets, un nombre entier positif."))])
    resource_upload = FileField(_l("Fichier à télécharger"),
                              description=_l("PDF, OpenDocument, Office, CSV, texte, PNG ou JPEG ; 20 Mo au plus. Remplace le fichier actuel."))
    remove_resource_file = BooleanField(_l("Retirer le fichier actuel"))
    choices_text = TextAreaField(
        _l("Questions et réponses du quiz"),
        description=_l("Une réponse par ligne : « * » devant la bonne réponse, « | » puis le retour affiché. Exemple : "
                       "* Rendre le service à la main | Oui, c’est le plus rapide. Plusieurs questions : commencez "
                       "chacune par une ligne « ? » suivie de la question ; sans elle, le texte ci-dessus pose l’unique question."),
        validators=[Optional(), Length(max=10000)], render_kw={"rows": 8})
    max_attempts = IntegerField(
        _l("Nombre de tentatives du quiz"), description=_l("Vide : autant de tentatives que l’apprenant·e le souhaite ; son meilleur score compte."),
        validators=[Optional(), NumberRange(min=1, max=99, message=_l("Indiquez un nombre de tentatives entre 1 et 99."))])

    has_file = False  # set by the view when the item already has a downloadable file

    def validate(self, extra_validators=None) -> bool:
        # Checks that depend on the kind run here: Optional() stops a field's own chain when it is empty.
        valid = super().validate(extra_validators)
        has_video = self.kind.data == "video" or (self.kind.data == "testimonial" and (self.video_url.data or "").strip())
        if has_video:
            if not ((self.transcript.data or "").strip() or (self.transcript_url.data or "").strip()):
                self.transcript.errors.append(_l("Une vidéo doit avoir sa transcription, en texte ou en lien (accessibilité)."))
                valid = False
            if not (self.video_url.data or "").strip():
                self.video_url.errors.append(_l("Indiquez l’adresse de la vidéo, par exemple /static/media/ma-video.webm."))
                valid = False
        if self.kind.data == "resource" and not (
            (self.resource_url.data or "").strip() or self.resource_upload.data or (self.has_file and not self.remove_resource_file.data)
        ):
            self.resource_url.errors.append(_l("Indiquez un lien ou joignez un fichier."))
            valid = False
        if self.kind.data == "quiz":
            questions = parse_questions(self.choices_text.data or "")
            if not questions or any(len(q["choices"]) < 2 or not any(c["correct"] for c in q["choices"]) for q in questions):
                self.choices_text.errors.append(_l("Chaque question a au moins deux réponses, dont une bonne marquée par « * »."))
                valid = False
        return valid

    def values(self) -> dict:
        data = {name: getattr(self, name).data for name in (
            "kind", "title", "body", "video_url", "duration_seconds", "transcript", "transcript_url", "subtitles_url",
            "person_name", "person_role", "resource_url")}
        values = {k: ("" if v is None and k != "duration_seconds" else v) for k, v in data.items()}
        values["is_testimony"] = bool(self.is_testimony.data) and self.kind.data == "video"
        values["max_attempts"] = self.max_attempts.data if self.kind.data == "quiz" else None
        linked = self.kind.data == "resource" and (self.resource_url.data or "").strip()
        values["resource_size_bytes"] = self.resource_size_bytes.data if linked else None
        return values


def parse_questions(text: str) -> list[dict]:
    """The editor's text → [{"text", "choices": [{"text", "correct", "feedback"}]}]. A line « ? … » starts a
    question; answers before any such line belong to a first question without text (asked by the item's body)."""
    questions = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("?"):
            questions.append({"text": line[1:].strip(), "choices": []})
            continue
        if not questions:
            questions.append({"text": "", "choices": []})
        correct = line.startswith("*")
        label, _, feedback = line.lstrip("* ").partition("|")
        questions[-1]["choices"].append({"text": label.strip(), "correct": correct, "feedback": feedback.strip()})
    return questions


def format_questions(item) -> str:
    """The editor's text of a quiz (parse_questions reads it back)."""
    blocks = []
    for question in item.questions:
        lines = [f"? {question.text}"] if question.text or len(item.questions) > 1 else []
        lines += [f"{'* ' if c.is_correct else ''}{c.text}" + (f" | {c.feedback}" if c.feedback else "") for c in question.choices]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


class RunForm(FlaskForm):
    name = StringField(_l("Nom de la session"), description=_l("Par exemple : session 02"), validators=[InputRequired(_l("Donnez un nom.")), Length(max=120)])
    slug = StringField(_l("Identifiant"), description=_l("Exemple : session-02"), validators=[InputRequired(_l("Donnez un identifiant.")), Length(max=60),
                       Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", message=_l("Utilisez des minuscules, des chiffres et des tirets, par exemple session-02."))])
    registration_opens_at = DateTimeLocalField(_l("Ouverture des inscriptions"), validators=[InputRequired(_l("Indiquez une date."))])
    registration_closes_at = DateTimeLocalField(_l("Clôture des inscriptions"), validators=[InputRequired(_l("Indiquez une date."))])
    access_starts_at = DateTimeLocalField(_l("Début de l’accès aux contenus"), validators=[InputRequired(_l("Indiquez une date."))])
    access_ends_at = DateTimeLocalField(_l("Fin de l’accès aux contenus"), validators=[InputRequired(_l("Indiquez une date."))])
    requires_sheet = BooleanField(_l("Le cours n’est terminé qu’une fois la fiche produit, ses cinq parties répondues, envoyée en relecture"))
    signatory_name = StringField(_l("Signataire des attestations"), description=_l("Prénom et nom, par exemple : Rachel Dupont. Sans signataire, l’attestation est signée « L’équipe pédagogique »."),
                                 validators=[Optional(), Length(max=120)])
    signatory_role = StringField(_l("Fonction du signataire"), description=_l("Par exemple : responsable de la formation, beta.gouv.fr"),
                                 validators=[Optional(), Length(max=120)])
    quiz_pass_mark = IntegerField(
        _l("Seuil de réussite des quiz (%)"),
        description=_l("Part de bonnes réponses que chaque quiz demande pour que le cours soit terminé, par exemple 70. "
                       "Vide : les quiz sont des auto-évaluations, toute tentative compte."),
        validators=[Optional(), NumberRange(min=1, max=100, message=_l("Indiquez un pourcentage entre 1 et 100."))])

    def validate_registration_closes_at(self, field):
        if self.registration_opens_at.data and field.data and field.data <= self.registration_opens_at.data:
            raise ValidationError(_l("La clôture doit suivre l’ouverture."))

    def validate_access_ends_at(self, field):
        if self.access_starts_at.data and field.data and field.data <= self.access_starts_at.data:
            raise ValidationError(_l("La fin doit suivre le début."))
        if self.registration_opens_at.data and field.data and field.data <= self.registration_opens_at.data:
            raise ValidationError(_l("L’accès aux contenus doit se terminer après l’ouverture des inscriptions."))

    def validate(self, extra_validators=None) -> bool:
        # Across the two windows: registering must stay possible only while the contents can still be followed.
        valid = super().validate(extra_validators)
        closes, ends = self.registration_closes_at.data, self.access_ends_at.data
        if closes and ends and closes > ends and not self.registration_closes_at.errors:
            self.registration_closes_at.errors.append(_l(
                "Les inscriptions doivent fermer au plus tard à la fin de l’accès aux contenus : "
                "sinon on s’inscrirait à un cours déjà terminé."))
            valid = False
        return valid


class BatchEnrolForm(FlaskForm):
    emails = TextAreaField(_l("Adresses électroniques"), description=_l("Une par ligne (ou séparées par des virgules). Exemple : prenom.nom@interieur.gouv.fr"),
                           validators=[InputRequired(_l("Collez au moins une adresse."))], render_kw={"rows": 8})


AUDIENCE_LABELS = {"all": _l("Tous les apprenants"), "not_started": _l("Pas encore commencé"),
                   "stalled": _l("Sans activité depuis N jours"), "completed": _l("Cours terminé")}


class LearnerEmailForm(FlaskForm):
    audience = RadioField(_l("Destinataires"), choices=choices(AUDIENCE_LABELS.items()), validators=[InputRequired(_l("Choisissez les destinataires."))])
    stalled_days = IntegerField(_l("N jours sans activité"), default=14, validators=[Optional(), NumberRange(min=1, max=365)])
    subject = StringField(_l("Objet"), validators=[InputRequired(_l("Saisissez un objet.")), Length(max=200)])
    body = TextAreaField(_l("Message"), validators=[InputRequired(_l("Saisissez un message.")), Length(max=5000)], render_kw={"rows": 8})
    submission_key = SubmissionKeyField()  # a double submit sends once


class PublishForm(FlaskForm):
    published = BooleanField(_l("Cours publié (visible dans le catalogue)"))


class StructureForm(FlaskForm):
    """A module or a sequence: its title and a short summary."""

    title = StringField(_l("Titre"), validators=[InputRequired(_l("Donnez un titre.")), Length(max=200)])
    submission_key = SubmissionKeyField()
    summary = TextAreaField(_l("Résumé"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 3})
