"""Write the fiche produit template of the demo MOOC, an OpenDocument text (.odt), with the standard library.

    .venv/bin/python scripts/make_fiche_produit_template.py [OUTPUT]

The learners of the 2018 MOOC downloaded such a file from « Documents utiles » and filled it as they went
through the course: a header (who you are), then one part per sequence with that sequence's questions. The
questions are ours, written from the subjects of the original template; the file is committed in the
course folder and served as the resource's download. The output is the same bytes on every run (fixed
dates in the archive), so a test can check that the committed file is what this script writes.
"""

import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = (ROOT / "content" / "courses" / "creer-des-services-publics-numeriques-innovants" / "files"
          / "docs-fiche-produit-modele" / "fiche-produit-mooc.odt")

TITLE = "Fiche produit"
COURSE = "MOOC « Créer des services publics numériques innovants » (beta.gouv.fr et CNFPT)"
INTRODUCTION = (
    "Remplissez cette fiche au fil du cours : à la fin de chaque séquence, répondez à ses questions. "
    "Quelques lignes suffisent ; des chiffres, des noms et des dates valent mieux que de longues phrases. "
    "Vous pourrez ensuite reporter vos réponses dans votre fiche produit en ligne (« Mes fiches produit ») "
    "et l’envoyer en relecture à l’équipe du programme Alpha."
)
HEADER_FIELDS = ("Nom", "Prénom", "Fonction", "Organisation", "Adresse électronique")

# (sequence, who speaks in it, its testimony, its questions)
PARTS = [
    ("Séquence 1 – Résoudre les problèmes des usagers",
     "Pierre Pezziardi, entrepreneur en résidence",
     "Clélia Pienne, sponsor : l’histoire de Mes Remboursements Simplifiés",
     ["Le « drame » : quel problème voulez-vous résoudre ? Dites-le comme un nombre de personnes qui en "
      "souffrent chaque année, et chiffrez ce qu’il leur coûte (temps, argent, droits perdus).",
      "Votre solution, décrite au présent comme si elle existait déjà, avec un nom qui frappe. Quelle règle "
      "ou quelle habitude d’aujourd’hui cesse-t-elle de suivre ?",
      "Comment la mettrez-vous entre les mains de vrais usagers d’ici six mois ?",
      "Qui seront vos premiers utilisateurs et vos premiers partenaires ? Pourquoi accepteraient-ils "
      "d’essayer ?",
      "Une fois un premier périmètre servi (une agence, un département), comment en faire un service public "
      "national ?"]),
    ("Séquence 2 – Trouver ses premiers utilisateurs",
     "Ivan Collombet, mentor",
     "Pierre de Maulmont, intrapreneur : la stratégie d’OpenAcadémie",
     ["Qui sont, précisément, vos premiers clients ou utilisateurs ?",
      "Par quel canal les joindrez-vous, et avec quel message ?",
      "Quels arguments les feront venir à votre premier Open Lab ?"]),
    ("Séquence 3 – Mesurer son impact dans le réel",
     "Ismaël Héry, coach",
     "Lauren Michel, intrapreneuse : l’impact de Maintenant!, une Startup d’État de Pôle emploi",
     ["Quel changement concret votre service apporte-t-il ? Décrivez l’avant et l’après pour un usager.",
      "Trois mois après l’ouverture d’une version bêta encore rudimentaire : par quels trois moyens "
      "constaterez-vous vos premiers succès, sans questionnaire en ligne ? (Par exemple : appeler une "
      "dizaine d’usagers, aller les voir sur le terrain.)",
      "Dans deux ans, à plein régime : quelles trois mesures d’impact justifieraient une équipe de dix "
      "personnes et de nouveaux financements ?"]),
    ("Séquence 4 – Survivre en milieu hostile",
     "Héla Ghariani, coach",
     "Daniel Balmy, intrapreneur : maîtriser les imprévus chez Work In France",
     ["Le pire scénario : qu’est-ce qui, dans les six mois, vous ferait regretter de vous être lancé·e ?",
      "Quelles petites actions, dès maintenant, vous permettraient de le surmonter ?"]),
    ("Séquence 5 – Faire de l’industriel en mode artisanal",
     "Julien Dauphant, développeur",
     "Philippe Vrignaud, directeur de projets : se lancer avec demarches-simplifiees.fr",
     ["Construisez une première version de test de votre service, sans développeur (un outil de création "
      "de site sans code, un outil de formulaire…), pour vérifier vos premières hypothèses. À quelle(s) "
      "adresse(s) peut-on l’essayer ?"]),
]

NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
      'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
      'xmlns:dc="http://purl.org/dc/elements/1.1/"')

STYLES = f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document-styles {NS} office:version="1.3">
 <office:font-face-decls/>
 <office:styles>
  <style:default-style style:family="paragraph">
   <style:paragraph-properties fo:margin-bottom="0.2cm"/>
   <style:text-properties fo:font-size="11pt" fo:language="fr" fo:country="FR"/>
  </style:default-style>
  <style:style style:name="Standard" style:family="paragraph" style:class="text"/>
  <style:style style:name="Title" style:family="paragraph" style:parent-style-name="Standard" style:class="chapter">
   <style:paragraph-properties fo:margin-bottom="0.4cm"/>
   <style:text-properties fo:font-size="20pt" fo:font-weight="bold"/>
  </style:style>
  <style:style style:name="Heading_20_1" style:display-name="Heading 1" style:family="paragraph"
               style:parent-style-name="Standard" style:default-outline-level="1" style:class="text">
   <style:paragraph-properties fo:margin-top="0.6cm" fo:margin-bottom="0.2cm" fo:keep-with-next="always"/>
   <style:text-properties fo:font-size="15pt" fo:font-weight="bold" fo:color="#000091"/>
  </style:style>
  <style:style style:name="Info" style:family="paragraph" style:parent-style-name="Standard">
   <style:text-properties fo:font-style="italic" fo:color="#3a3a3a"/>
  </style:style>
  <style:style style:name="Question" style:family="paragraph" style:parent-style-name="Standard">
   <style:paragraph-properties fo:margin-top="0.3cm" fo:keep-with-next="always"/>
   <style:text-properties fo:font-weight="bold"/>
  </style:style>
  <style:style style:name="Answer" style:family="paragraph" style:parent-style-name="Standard">
   <style:paragraph-properties fo:margin-left="0.5cm" fo:padding="0.15cm" fo:border="0.5pt solid #929292"/>
  </style:style>
 </office:styles>
</office:document-styles>
"""

MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.3" manifest:media-type="application/vnd.oasis.opendocument.text"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
 <manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>
 <manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""

META = f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document-meta {NS} office:version="1.3">
 <office:meta>
  <dc:title>{escape(TITLE)} – {escape(COURSE)}</dc:title>
  <dc:language>fr-FR</dc:language>
  <meta:generator>beta_training scripts/make_fiche_produit_template.py</meta:generator>
 </office:meta>
</office:document-meta>
"""


def _paragraph(text: str, style: str = "Standard") -> str:
    return f'<text:p text:style-name="{style}">{escape(text)}</text:p>'


def _heading(text: str) -> str:
    return f'<text:h text:style-name="Heading_20_1" text:outline-level="1">{escape(text)}</text:h>'


def content_xml() -> str:
    body = [_paragraph(TITLE, "Title"), _paragraph(COURSE, "Info"), _paragraph(INTRODUCTION)]
    body.append(_heading("Qui êtes-vous ?"))
    body += [_paragraph(f"{field} : ") for field in HEADER_FIELDS]
    for sequence, speaker, testimony, questions in PARTS:
        body.append(_heading(sequence))
        body.append(_paragraph(f"Dans les vidéos : {speaker}. Témoignage : {testimony}.", "Info"))
        body.append(_paragraph(f"Dans le cours : la partie « {sequence} », à la fin de laquelle vous remplissez "
                               "cette partie.", "Info"))
        for number, question in enumerate(questions, start=1):
            body.append(_paragraph(f"{number}. {question}", "Question"))
            body.append(_paragraph("", "Answer"))
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {NS} office:version="1.3">\n'
            ' <office:body>\n  <office:text>\n   ' + "\n   ".join(body) + "\n  </office:text>\n </office:body>\n"
            "</office:document-content>\n")


def odt_bytes() -> bytes:
    """The .odt: `mimetype` first and stored (how ODF readers recognise the file), then the XML parts."""
    from io import BytesIO

    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text, method in (("mimetype", "application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED),
                                   ("META-INF/manifest.xml", MANIFEST, zipfile.ZIP_DEFLATED),
                                   ("meta.xml", META, zipfile.ZIP_DEFLATED),
                                   ("styles.xml", STYLES, zipfile.ZIP_DEFLATED),
                                   ("content.xml", content_xml(), zipfile.ZIP_DEFLATED)):
            info = zipfile.ZipInfo(name, date_time=(2018, 10, 1, 0, 0, 0))
            info.compress_type = method
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()


def main(argv: list[str]) -> None:
    output = Path(argv[1]) if len(argv) > 1 else OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(odt_bytes())
    print(f"{output} ({output.stat().st_size} octets)")


if __name__ == "__main__":
    main(sys.argv)
