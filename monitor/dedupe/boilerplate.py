"""Drop boilerplate lines before fingerprinting.

Publishers wrap the same article body in different furniture: bylines, dates, "read
also" boxes, share bars, copyright lines, newsletter pitches, photo credits, cookie
notices.  Left in, that furniture makes two unrelated short articles from one site look
alike, and makes a syndicated copy look less like its source.  ``strip_boilerplate``
removes such lines by short, conservative patterns in English, French, German,
Spanish, Italian, Dutch and Polish.  Every rule requires the line to be short, so a real
paragraph that merely mentions cookies or starts with "By 2030" survives.

Patterns are written in ``normalize_text`` form (casefolded, no accents).
"""

from __future__ import annotations

import re

from monitor.dedupe.normalize import normalize_text

__all__ = ["strip_boilerplate", "is_boilerplate_line"]


def _prefixes(*phrases: str) -> re.Pattern[str]:
    """Regex matching a line that starts (after bullets/quotes/brackets) with a phrase."""
    alternatives = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"^[\W_]*(?:{alternatives})(?:\b|(?=\W)|$)")


# "Read also" boxes: the keyword, usually followed by another article's headline.
_READ_ALSO = _prefixes(
    "read also", "also read", "read more", "see also", "related", "related articles", "related stories",
    "related content", "more on this", "more on this story", "recommended", "you may also like",
    "you might also like", "further reading", "continue reading", "click here",
    "lire aussi", "a lire aussi", "a lire egalement", "lire egalement", "voir aussi", "sur le meme sujet",
    "a voir aussi", "lire la suite", "pour aller plus loin",
    "lesen sie auch", "lesen sie mehr", "lesen sie hier", "mehr zum thema", "auch interessant", "siehe auch",
    "das konnte sie auch interessieren", "weiterlesen", "zum thema", "empfehlungen",
    "lee tambien", "leer tambien", "lea tambien", "te puede interesar", "puede interesarte", "ver tambien",
    "sigue leyendo", "noticias relacionadas", "mas informacion",
    "leggi anche", "leggi pure", "potrebbe interessarti", "vedi anche", "continua a leggere", "articoli correlati",
    "lees ook", "lees meer", "zie ook", "lees verder", "meer over dit onderwerp", "gerelateerd",
    "czytaj tez", "czytaj takze", "czytaj rowniez", "czytaj wiecej", "czytaj dalej", "zobacz tez",
    "zobacz takze", "zobacz rowniez", "przeczytaj tez", "przeczytaj takze", "polecamy",
)
_SHARE = _prefixes(
    "share", "share this", "share on", "share via", "share article", "tweet", "print this", "email this",
    "partager", "partagez", "partager cet article", "teilen", "artikel teilen", "diesen artikel teilen",
    "compartir", "comparte", "compartelo", "condividi", "condividere", "delen", "deel dit", "udostepnij",
)
_FOLLOW = _prefixes(
    "follow us", "subscribe", "sign up", "get our newsletter", "newsletter", "join our",
    "suivez-nous", "suivez nous", "abonnez-vous", "abonnez vous", "inscrivez-vous", "inscrivez vous",
    "folgen sie uns", "abonnieren sie", "jetzt abonnieren", "melden sie sich",
    "siguenos", "suscribete", "suscribase", "seguici", "iscriviti", "abbonati",
    "volg ons", "abonneer", "schrijf je in", "obserwuj nas", "zapisz sie", "subskrybuj",
)
_DATELINE = _prefixes(
    "published", "updated", "last updated", "posted", "publie le", "publie", "mis a jour", "modifie le",
    "veroffentlicht", "aktualisiert", "stand:", "publicado", "actualizado", "pubblicato", "aggiornato",
    "gepubliceerd", "bijgewerkt", "laatst bijgewerkt", "opublikowano", "zaktualizowano", "aktualizacja",
)
_CREDIT = _prefixes(
    "photo", "photos", "image", "picture", "credit", "photo credit", "illustration", "video", "foto", "fotos",
    "bild", "bildquelle", "quelle:", "credit photo", "credits photo", "photographie", "imagen", "immagine",
    "afbeelding", "zdjecie", "fot.", "getty images", "afp photo", "reuters/", "ap photo", "(photo", "(foto",
)
_ADVERT = re.compile(
    r"^[\W_]*(?:advertisement|advert|sponsored|anzeige|werbung|publicite|publicidad|pubblicita|advertentie|"
    r"reklama|ogloszenie|annonce)[\W_]*$"
)
_COPYRIGHT = re.compile(
    r"©|\(c\)\s*\d{4}|\bcopyright\b|all rights reserved|tous droits reserves|alle rechte vorbehalten|"
    r"todos los derechos reservados|tutti i diritti riservati|alle rechten voorbehouden|"
    r"wszelkie prawa zastrzezone|this material may not be published|riproduzione riservata"
)
_AGENCY_CREDIT = re.compile(r"^(?:additional )?(?:reporting|writing|editing|edited|compiled) by\b")
_COOKIE = re.compile(r"\bcookies?\b")
_CONSENT = re.compile(
    r"\b(?:we|this (?:web)?site|our (?:web)?site|nous|ce site|notre site|wir|diese (?:web)?seite|diese website|"
    r"usamos|utilizamos|este sitio|utilizziamo|questo sito|wij|deze (?:web)?site|ta strona|uzywamy)\b.{0,60}\bcookies?\b|"
    r"\bcookies?[ -](?:policy|settings|preferences|notice|richtlinie|einstellungen|hinweis|politique|"
    r"parametres|politica|configuracion|impostazioni|beleid|instellingen|polityka|ustawienia)\b|"
    r"\b(?:accept|allow|reject|accepter|refuser|akzeptieren|ablehnen|aceptar|rechazar|accetta|accettare|"
    r"rifiuta|accepteren|weigeren|akceptuj|akceptuje|odrzuc)\b.{0,20}\bcookies?\b|"
    r"\bcookies?\b.{0,20}\b(?:akzeptieren|zustimmen|accepter|aceptar|accettare|accepteren|akceptuje)\b"
)
# Bylines: "By Jane Doe", "Par Jean Dupont et Marie Curie, 12 mars 2024", "Von Anne-Marie Slaughter".
_BYLINE_LEAD = re.compile(
    r"^[\W_]*(?:by|written by|words by|par|von|por|di|door|autor|autorin|auteur|author|autore|text|texte|"
    r"redaktion|redaccion|redazione|redactie|redakcja)\b[:\s]*",
    re.IGNORECASE,
)
_BYLINE_JOINERS = {"and", "und", "et", "y", "e", "en", "i", "oraz", "&", "|", "-", "und/oder", "de", "van", "von",
                   "der", "den", "da", "di", "del", "la", "le", "du", "des", "of", "in", "at", "the"}
_SOCIAL_WORDS = {
    "share", "this", "article", "on", "via", "facebook", "twitter", "x", "linkedin", "whatsapp", "email",
    "e-mail", "mail", "print", "copy", "link", "telegram", "reddit", "pinterest", "xing", "bluesky",
    "threads", "messenger", "flipboard", "tweet", "partager", "imprimer", "teilen", "drucken", "compartir",
    "imprimir", "condividi", "stampa", "delen", "afdrukken", "udostepnij", "drukuj", "kopieren", "copier",
    "copiar", "copia", "kopiuj", "cet", "article", "artikel", "diesen", "url",
}
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")


def _is_byline(raw: str) -> bool:
    lead = _BYLINE_LEAD.match(raw)
    if not lead:
        return False
    words = _WORD.findall(raw[lead.end():])
    if not 1 <= len(words) <= 12:
        return False
    if not words[0][0].isupper():
        return False
    names = [w for w in words if not w.isdigit() and w.casefold() not in _BYLINE_JOINERS]
    capitalized = sum(1 for w in names if w[0].isupper())
    return capitalized >= max(1, 0.6 * len(names))


def is_boilerplate_line(line: str) -> bool:
    """True when one line of article text is boilerplate (see module docstring)."""
    raw = line.strip()
    if not raw:
        return False
    norm = normalize_text(raw)
    words = _WORD.findall(norm)
    n = len(words)
    if n == 0:
        return True  # punctuation-only separators such as "***" or "—"
    if n <= 25 and (_READ_ALSO.match(norm) or _FOLLOW.match(norm)):
        return True
    if n <= 8 and _SHARE.match(norm):
        return True
    if n <= 12 and all(w in _SOCIAL_WORDS for w in words):
        return True
    if n <= 14 and _DATELINE.match(norm) and any(ch.isdigit() for ch in norm):
        return True
    if n <= 25 and _CREDIT.match(norm) and (":" in norm[:25] or "/" in norm or "(" in norm[:3]):
        return True
    if _ADVERT.match(norm):
        return True
    if n <= 40 and _COPYRIGHT.search(norm):
        return True
    if n <= 30 and _AGENCY_CREDIT.match(norm):
        return True
    if n <= 60 and _COOKIE.search(norm) and _CONSENT.search(norm):
        return True
    return n <= 14 and _is_byline(raw)


def strip_boilerplate(text: str) -> str:
    """Return ``text`` without its boilerplate lines (line breaks of kept lines preserved).

    A bare "read also"-style heading also removes the short headline line after it.
    Raises ``TypeError`` when ``text`` is not a ``str``.
    """
    if not isinstance(text, str):
        raise TypeError(f"strip_boilerplate: text must be str, not {type(text).__name__}")
    kept: list[str] = []
    skip_headline = False
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            kept.append("")
            continue
        if skip_headline:
            skip_headline = False
            if len(stripped.split()) <= 20 and not stripped.endswith((".", "!", "?", ":")):
                continue
        if is_boilerplate_line(stripped):
            norm = normalize_text(stripped)
            skip_headline = bool(_READ_ALSO.match(norm)) and len(_WORD.findall(norm)) <= 4
            continue
        kept.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
