"""Configuration: the models of ``veille.toml`` (pydantic) and how the file is read.

The file stays the source of truth for brands and sources; the database mirrors it. Values may
reference the environment as ``${NAME}`` (secrets stay out of the file), and ``VEILLE_…``
variables override the file (``VEILLE_DATABASE_URL``, ``VEILLE_HTTP_<SETTING>``).
"""

from __future__ import annotations

import json
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import tomli
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from veille import __version__
from veille.config_messages import plain_message
from veille.credentials import SecretFileError
from veille.database_url import check_userinfo, with_environment_password
from veille.delivery_settings import (
    SMTP_ENVIRONMENT,
    AlertSettings,
    DigestConfig,
    RetentionSettings,
    ScheduleSettings,
    SmtpSettings,
    smtp_input,
)
from veille.errors import ConfigError, QueryError, unknown_name_text
from veille.languages import DETECTABLE_LANGUAGES
from veille.timeutil import parse_duration

DEFAULT_USER_AGENT = f"veille/{__version__} (+self-hosted brand monitoring; feed reader)"
DEFAULT_CONFIG_PATH = Path("config") / "veille.toml"
DEFAULT_DATABASE_NAME = "veille.db"
ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# More processing processes than this would wait on the one process that stores.
MAX_PROCESSES = 16
# Both matched whole (fullmatch): "^…$" would also take a final line break ("fr\n").
_LANGUAGE_CODE = re.compile(r"[a-z]{2}")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
# Every character of the Unicode categories Cc (controls), Zl and Zp (line and paragraph
# separators), as one pattern: cheaper than asking unicodedata about each character of each name.
_LINE_BREAK_OR_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class HttpSettings(BaseModel):
    """How politely and how hard veille fetches."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    concurrency: int = Field(20, ge=1, le=1000, description="requests in flight at once")
    per_host: int = Field(4, ge=1, le=100, description="requests in flight to one host")
    connect_timeout: float = Field(10.0, gt=0, description="seconds to open a connection")
    read_timeout: float = Field(30.0, gt=0, description="seconds to wait for each read")
    total_timeout: float = Field(60.0, gt=0, description="seconds for a whole request")
    max_body_bytes: int = Field(10_000_000, ge=1024, description="larger bodies are refused")
    max_redirects: int = Field(5, ge=0, le=20, description="redirects followed per request")
    retries: int = Field(2, ge=0, le=10, description="extra tries on transient errors")
    backoff_seconds: float = Field(1.0, ge=0, description="first retry delay, doubled each try")
    max_retry_after: float = Field(
        120.0, ge=0, description="longest Retry-After waited inside a pass; longer ones defer"
    )
    user_agent: str = Field(DEFAULT_USER_AGENT, min_length=1, description="User-Agent header")


class CollectSettings(BaseModel):
    """When sources are due and how failing ones back off."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    interval: timedelta = Field(timedelta(hours=1), description="default time between checks")
    adaptive: bool = Field(
        True, description="check sources that rarely change less often, busy ones more often"
    )
    min_interval: timedelta = Field(
        timedelta(minutes=15), description="shortest time between checks of a busy source"
    )
    max_interval: timedelta = Field(
        timedelta(hours=24), description="longest time between checks of a quiet source"
    )
    max_backoff: timedelta = Field(
        timedelta(hours=24), description="longest wait after repeated failures or a long ttl"
    )
    claim_lease: timedelta = Field(
        timedelta(minutes=30),
        description="how long a source claimed by a worker stays not due for the others",
    )
    processes: int | Literal["auto"] = Field(
        "auto",
        description=(
            "processes that read feeds and process items beside the one that fetches and "
            'stores (0: none; "auto": one fewer than the CPUs, at most 4, for passes over 20 '
            "sources or more); veille reclassify re-scores in as many"
        ),
    )

    @field_validator(
        "interval", "min_interval", "max_interval", "max_backoff", "claim_lease", mode="before"
    )
    @classmethod
    def _duration(cls, value: Any) -> timedelta:
        return parse_duration(value)

    @field_validator("processes", mode="before")
    @classmethod
    def _process_count(cls, value: Any) -> int | str:
        if value == "auto" or (
            isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_PROCESSES
        ):
            return value
        raise ValueError(f'must be "auto" or a whole number from 0 to {MAX_PROCESSES}')

    @model_validator(mode="after")
    def _ordered_bounds(self) -> CollectSettings:
        if self.min_interval > self.max_interval:
            raise ValueError("min_interval must not be longer than max_interval")
        return self


class BrandConfig(BaseModel):
    """A brand to listen for: its name, boolean query, languages and how its tone is scored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    case_sensitive: bool = False  # before `query`, which is checked with it
    query: str = Field("", validate_default=True)  # empty: the name as an exact phrase
    languages: tuple[str, ...] = ("fr", "en")
    # "brand": a mention's tone is that of the sentences naming the brand, not the whole text's.
    tone: Literal["document", "brand"] = "document"

    @field_validator("name")
    @classmethod
    def _printable_name(cls, value: str) -> str:
        return printable_name(value)

    @field_validator("query")
    @classmethod
    def _query_parses(cls, value: str, info: ValidationInfo) -> str:
        from veille.match import compile_query  # the matcher is only needed once a file is read

        defaulted = not value.strip()
        if defaulted:
            value = name_phrase(str(info.data.get("name", "")))
        try:
            compile_query(value, case_sensitive=bool(info.data.get("case_sensitive")))
        except QueryError as exc:
            if defaulted:  # the user wrote no query: the name is what to speak of
                raise ValueError(
                    f"the brand's name has no letters or digits to look for ({exc}); give the "
                    'brand a query, e.g. query = "danone"'
                ) from None
            raise ValueError(str(exc)) from None
        return value

    @field_validator("languages")
    @classmethod
    def _language_codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for code in value:
            if not _LANGUAGE_CODE.fullmatch(code):
                raise ValueError(f"expected ISO 639-1 codes such as 'fr' or 'en', got {code!r}")
            # Checked now rather than when a pass first classifies, halfway through its sources.
            if code not in DETECTABLE_LANGUAGES:
                raise ValueError(f"{code!r} is not a language veille can detect")
        return value


class SourceConfig(BaseModel):
    """A source: a name, a collector kind and that collector's options."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, pattern=r"^[^\s].*$")
    kind: str
    interval: timedelta | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    # What a feed reader shows of a feed (kept from an OPML file, given back by export).
    title: str | None = None
    category: tuple[str, ...] = ()  # its folders, outer first; one may be written as a string
    site_url: str | None = None

    @field_validator("interval", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> timedelta | None:
        return None if value is None else parse_duration(value)

    @field_validator("name")
    @classmethod
    def _printable_name(cls, value: str) -> str:
        return printable_name(value)

    @field_validator("title")
    @classmethod
    def _printable_title(cls, value: str | None) -> str | None:
        return None if value is None else printable_name(value, "a title")

    @field_validator("site_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        # Given back as the OPML's htmlUrl, which readers open: a web page's address only.
        if value is not None and not is_web_address(value):
            raise ValueError(
                'expected a web page\'s address, e.g. site_url = "https://www.lemonde.fr/",'
                f" got {value!r}"
            )
        return value

    @field_validator("category", mode="before")
    @classmethod
    def _folders(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("category")
    @classmethod
    def _printable_folders(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(printable_name(folder, "a folder name") for folder in value)


def is_web_address(value: str) -> bool:
    """Whether ``value`` is an http(s) address with a host (not javascript:, not a path)."""
    parts = urlsplit(value.strip())
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def name_phrase(name: str) -> str:
    """A brand's name as the query of an exact phrase, each of its characters read literally: a
    ``*`` (« E*TRADE ») or a backslash is escaped, a double quote left out (it is no word)."""
    literal = name.replace("\\", "\\\\").replace("*", "\\*").replace('"', " ")
    return f'"{literal}"'


def printable_name(value: str, what: str = "a name") -> str:
    """A name without line breaks or other control characters: names go into mail headers."""
    if not value.strip():
        raise ValueError(f"expected {what}, got {value!r}")
    if _LINE_BREAK_OR_CONTROL.search(value):
        raise ValueError(f"expected {what} on one line without control characters, got {value!r}")
    return value


class Settings(BaseModel):
    """The whole configuration, as validated from ``veille.toml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    config_path: Path | None = None
    database_url: str
    http: HttpSettings = HttpSettings()
    collect: CollectSettings = CollectSettings()
    brands: tuple[BrandConfig, ...] = ()
    sources: tuple[SourceConfig, ...] = ()
    smtp: SmtpSettings = SmtpSettings()
    digests: tuple[DigestConfig, ...] = ()
    schedule: ScheduleSettings = ScheduleSettings()
    retention: RetentionSettings = RetentionSettings()
    alerts: AlertSettings = AlertSettings()

    def brand(self, name: str) -> BrandConfig:
        """The brand called ``name`` (case, accents and the kind of apostrophe aside: see
        :func:`veille.normalize.text.name_key`), or a ConfigError listing the known ones."""
        from veille.normalize.text import name_key

        key = name_key(name)
        for brand in self.brands:
            if name_key(brand.name) == key:
                return brand
        known = (brand.name for brand in self.brands)
        raise ConfigError(unknown_name_text("brand", name, known), file=_path(self))

    def source(self, name: str) -> SourceConfig:
        """The source called ``name``, or a ConfigError listing the known ones."""
        for source in self.sources:
            if source.name == name:
                return source
        known = (source.name for source in self.sources)
        raise ConfigError(unknown_name_text("source", name, known), file=_path(self))


def query_warnings(settings: Settings) -> list[str]:
    """What the brands' queries read otherwise than they most likely mean: operators written as
    words (``orange or free``, ``orange OU free``). Valid queries, as the word may be meant:
    told, not refused."""
    from veille.match.notes import operator_words_note

    warnings = []
    for place, brand in enumerate(settings.brands):
        note = operator_words_note(brand.query)
        if note is not None:
            where = ": ".join(filter(None, (_path(settings), f"brands[{place}].query")))
            warnings.append(f"{where}: (brand {brand.name!r}) {note}")
    return warnings


def _path(settings: Settings) -> str | None:
    return str(settings.config_path) if settings.config_path else None


def default_config_path() -> Path:
    """``$VEILLE_CONFIG`` when set, else ``./config/veille.toml``."""
    return Path(os.environ.get("VEILLE_CONFIG") or DEFAULT_CONFIG_PATH)


def load_settings(path: Path | str | None = None) -> Settings:
    """Read, expand and validate a configuration file; every problem becomes a ConfigError."""
    config_path = Path(path) if path is not None else default_config_path()
    if config_path.is_dir():
        raise folder_given(config_path)
    if not config_path.is_file():
        raise ConfigError(
            "configuration file not found",
            file=str(config_path),
            hint="create one with `veille init`, or pass --config PATH / set VEILLE_CONFIG",
        )
    try:
        # utf-8-sig: the byte-order mark some Windows editors write first is not TOML.
        text = config_path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason})", file=str(config_path)) from None
    return settings_from_text(text, config_path)


def folder_given(config_path: Path) -> ConfigError:
    """The error for a configuration path (--config, VEILLE_CONFIG) that names a folder."""
    return ConfigError(
        "is a directory, not a configuration file",
        file=str(config_path),
        hint="give the file's path (--config or VEILLE_CONFIG), "
        f"e.g. {config_path / DEFAULT_CONFIG_PATH.name}",
    )


def settings_from_text(text: str, config_path: Path) -> Settings:
    """Validate ``text`` as the configuration file ``config_path`` would hold it.

    For writers of the file (``init``, ``sources import``): what they would write is checked
    before it replaces anything.
    """
    from veille.config_sources import expand_sources  # keeps OPML parsing out of this module

    try:
        raw = tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=str(config_path)) from None
    raw = _expand_env(raw, str(config_path), ())
    data = _settings_input(raw, config_path)
    data["sources"] = expand_sources(data.get("sources", []), config_path)
    return validate_settings(data, file=str(config_path))


def validate_settings(data: dict[str, Any], *, file: str | None = None) -> Settings:
    """Validate already-read settings data; errors name the key and what was expected."""
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise _config_error(exc, data, file) from None
    _check_unique(settings, file)
    return _digest_brands_as_declared(settings, file)


def _settings_input(raw: dict[str, Any], config_path: Path) -> dict[str, Any]:
    """Turn the TOML document into Settings input: defaults, environment overrides."""
    data = dict(raw)
    database = data.pop("database", {})
    if not isinstance(database, dict):
        raise ConfigError(
            "expected a table with a `url` key", file=str(config_path), key="database"
        )
    unknown = set(database) - {"url"}
    if unknown:
        raise ConfigError(
            f"unknown key(s) {', '.join(map(key_name, sorted(unknown)))}; expected only `url`",
            file=str(config_path),
            key="database",
        )
    declared = database.get("url")
    from_environment = os.environ.get("VEILLE_DATABASE_URL")
    if from_environment:
        _check_database_url(from_environment, file=None, key="VEILLE_DATABASE_URL")
    elif isinstance(declared, str) and declared:
        _check_database_url(declared, file=str(config_path), key="database.url")
    database_url = with_driver(
        from_environment
        or (beside_config(declared, config_path) if isinstance(declared, str) else declared)
        or default_database_url(config_path)
    )
    if isinstance(database_url, str):
        database_url = with_environment_password(database_url)
    data["database_url"] = database_url
    data["config_path"] = config_path
    http = dict(data.get("http", {})) if isinstance(data.get("http", {}), dict) else data["http"]
    if isinstance(http, dict):
        for field in HttpSettings.model_fields:
            env_value = os.environ.get(f"VEILLE_HTTP_{field.upper()}")
            if env_value is not None:
                http[field] = env_value
        data["http"] = http
    data["brands"] = raw.get("brands", [])
    try:
        data["smtp"] = smtp_input(data.get("smtp", {}))
    except SecretFileError as exc:  # the environment's doing, not the file's
        raise ConfigError(
            f"names {exc.path}, which {exc.reason}",
            key=exc.variable,
            hint="point it at a readable UTF-8 file holding the password, or export "
            "VEILLE_SMTP_PASSWORD=… instead",
        ) from None
    return data


_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
DATABASE_URL_HINT = "use sqlite:///path/to/veille.db or postgresql+psycopg://user@host/dbname"


def _check_database_url(url: str, *, file: str | None, key: str) -> None:
    """Refuse, as a configuration error, a URL of a database veille does not run on."""
    scheme = _URL_SCHEME.match(url)
    if scheme is None:
        raise ConfigError(
            "not a database URL (scheme://…)", file=file, key=key, hint=DATABASE_URL_HINT
        )
    backend = scheme.group(1).partition("+")[0].lower()
    if backend not in ("sqlite", "postgresql", "postgres"):
        raise ConfigError(
            f"unsupported database {backend!r}: SQLite or PostgreSQL",
            file=file,
            key=key,
            hint=DATABASE_URL_HINT,
        )
    check_userinfo(url, file=file, key=key)


def with_driver(database_url: Any) -> Any:
    """A PostgreSQL URL without a driver (postgres://, as hosts and containers write it, or
    postgresql://) with the one veille installs: psycopg."""
    if not isinstance(database_url, str):
        return database_url
    scheme, separator, rest = database_url.partition("://")
    if separator and scheme.lower() in ("postgres", "postgresql"):
        return f"postgresql+psycopg://{rest}"
    return database_url


def default_database_url(config_path: Path) -> str:
    """The embedded default: a SQLite file beside the configuration file."""
    return f"sqlite:///{(config_path.parent / DEFAULT_DATABASE_NAME).resolve()}"


def beside_config(database_url: str, config_path: Path) -> str:
    """The URL with a relative SQLite path taken from the configuration file's folder, as the
    default file and OPML files are: not from wherever a command (or cron) happens to run."""
    scheme, separator, rest = database_url.partition(":///")
    if not separator or scheme.partition("+")[0] != "sqlite":
        return database_url
    path, mark, query = rest.partition("?")
    if not path or path == ":memory:" or path.startswith("file:") or Path(path).is_absolute():
        return database_url
    return f"{scheme}:///{(config_path.parent / path).resolve()}{mark}{query}"


def sqlite_path(database_url: str) -> Path | None:
    """The file a ``sqlite:///`` URL names, or None for another database, memory or a URI."""
    scheme, separator, rest = database_url.partition(":///")
    if not separator or scheme.partition("+")[0] != "sqlite":
        return None
    path = rest.partition("?")[0]
    # In memory, a URI, or a quoted name: let the store open it and tell.
    if not path or path == ":memory:" or path.startswith("file:") or "%" in path:
        return None
    return Path(path).expanduser()


def new_sqlite_file(database_url: str) -> bool:
    """Whether ``database_url`` names a SQLite file not created yet, in a folder that exists.

    Read without SQLAlchemy (a third of a second to import), so that a pass can start its
    workers before it opens the store: False for any other database, and whenever unsure (a
    missing folder is left to the store, which says so).
    """
    file = sqlite_path(database_url)
    return file is not None and not file.exists() and file.parent.is_dir()


def _expand_env(value: Any, file: str, key: tuple[str | int, ...]) -> Any:
    """Replace ``${NAME}`` references with environment values; a missing one is an error."""
    if isinstance(value, str):
        if "${" not in value:  # nearly every value; the regex would find nothing
            return value

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise ConfigError(
                    f"refers to ${{{name}}}, which is not set in the environment",
                    file=file,
                    key=_key_text(key),
                    hint=f"export {name}=… before running veille",
                )
            return os.environ[name]

        return ENV_REFERENCE.sub(replace, value)
    if isinstance(value, dict):
        return {k: _expand_env(v, file, (*key, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_env(v, file, (*key, i)) for i, v in enumerate(value)]
    return value


def key_name(key: object) -> str:
    """A key as TOML writes it: bare when it can be, else quoted (a key may hold a line break)."""
    text = str(key)
    return text if _BARE_KEY.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def _key_text(location: tuple[str | int, ...] | list[str | int]) -> str:
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{key_name(part)}" if text else key_name(part)
    return text


def _config_error(exc: ValidationError, data: dict[str, Any], file: str | None) -> ConfigError:
    """The first validation problem as one readable message: key, what was expected, what came."""
    error = exc.errors()[0]
    location = [part for part in error["loc"] if part not in ("function-after",)]
    if location and location[0] == "database_url":
        location = ["database", "url"]
    message = plain_message(error, location, Settings)
    given = error.get("input")
    unsaid = error["type"] in ("missing", "extra_forbidden") or isinstance(given, dict | list)
    # Some checks name the value themselves ("…, got '0 25 * * *'"): it is not said twice.
    if not unsaid and f"got {given!r}" not in message:
        message += f" (got {given!r})"
    more = len(exc.errors()) - 1
    hint = f"{more} more problem(s) after this one" if more else None
    variable = _overriding_variable(location)
    if variable is not None:  # the environment's value overrides the file's: it is the one
        return ConfigError(message, key=variable, hint=hint)
    message = _entry_named(location, data) + message
    return ConfigError(message, file=file, key=_key_text(location), hint=hint)


def _overriding_variable(location: list[Any]) -> str | None:
    """The ``VEILLE_HTTP_…`` or ``VEILLE_SMTP_…`` variable that gave the refused value, if any."""
    if len(location) < 2:
        return None
    if location[0] == "http":
        variable = f"VEILLE_HTTP_{str(location[1]).upper()}"
    elif location[0] == "smtp":
        field = "from_address" if location[1] == "from" else str(location[1])
        variable = SMTP_ENVIRONMENT.get(field, "")
    else:
        return None
    return variable if variable in os.environ else None


def _entry_named(location: list[Any], data: dict[str, Any]) -> str:
    """ "(brand 'Danone') " before the message of a problem in a named [[brands]], [[sources]]
    or [[digests]] entry: with thirty brands, brands[17] alone makes the reader count."""
    if len(location) < 3 or location[0] not in ("brands", "sources", "digests"):
        return ""
    entries, index = data.get(location[0]), location[1]
    if not isinstance(entries, list) or not isinstance(index, int) or index >= len(entries):
        return ""
    entry = entries[index]
    name = entry.get("name") if isinstance(entry, dict) else None
    if not isinstance(name, str) or not name.strip() or location[2] == "name":
        return ""
    return f"({str(location[0]).removesuffix('s')} {name.strip()!r}) "


def _check_unique(settings: Settings, file: str | None) -> None:
    from veille.normalize.text import name_key

    first_brand: dict[str, int] = {}
    for index, brand in enumerate(settings.brands):
        # Brand names are compared as --brand compares them: « L’Oréal » is « L'Oreal ».
        earlier = first_brand.setdefault(name_key(brand.name), index)
        if earlier != index:
            other = settings.brands[earlier].name
            message = f"duplicate name {brand.name!r}; names must be unique"
            if other != brand.name:
                message = (
                    f"{brand.name!r} names the same brand as brands[{earlier}]'s {other!r} "
                    "(case, accents and the kind of apostrophe aside); keep one of them"
                )
            raise ConfigError(message, file=file, key=f"brands[{index}].name")
    for label, names in (
        ("sources", [s.name for s in settings.sources]),
        ("digests", [d.name for d in settings.digests]),
    ):
        seen: set[str] = set()
        for index, name in enumerate(names):
            if name in seen:
                raise ConfigError(
                    f"duplicate name {name!r}; names must be unique",
                    file=file,
                    key=f"{label}[{index}].name",
                )
            seen.add(name)


def _digest_brands_as_declared(settings: Settings, file: str | None) -> Settings:
    """The settings with each digest's brands spelled as [[brands]] declares them (the store
    knows them by that spelling), or a ConfigError naming one that is not declared."""
    from veille.normalize.text import name_key

    declared = {name_key(brand.name): brand.name for brand in settings.brands}
    digests = []
    for index, digest in enumerate(settings.digests):
        brands = []
        for name in digest.brands:
            found = declared.get(name_key(name))
            if found is None:
                known = unknown_name_text("brand", name, declared.values(), none="none declared")
                raise ConfigError(
                    f"{known}; declare it in [[brands]] first",
                    file=file,
                    key=f"digests[{index}].brands",
                )
            brands.append(found)
        digests.append(digest.model_copy(update={"brands": tuple(brands)}))
    if tuple(digests) == settings.digests:
        return settings
    return settings.model_copy(update={"digests": tuple(digests)})
