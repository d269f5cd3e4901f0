"""Russian federal subjects the directory knows, with their IANA time zone.

A directory row names its region in Russian ("Омская область") or by a short code ("omsk").
The zone is the region's main one; a row may override it (regions with several zones, e.g.
Yakutia, need the override for some organisations).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from probe.directory.reasons import Reason, because


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    timezone: str
    aliases: tuple[str, ...] = ()
    # The working hours of the region's ministry, as it publishes them: the schedule an
    # organisation of the region is planned with when its own hours are unknown. Empty when no
    # source document gives them (the import then reports the organisation's unknown hours).
    default_hours: str = ""


# Seed 001, item 4 of the Omsk regulation (the ministry and its territorial offices); the lunch
# hour 13:00-14:00 as most offices keep it.
_OMSK_HOURS = (
    "понедельник – четверг: с 8.30 до 17.45; пятница: с 8.30 до 16.30; перерыв с 13.00 до 14.00"
)
# Seed 004, the Rostov ministry's own hours (item 1.3.1 of the regulation), verbatim.
_ROSTOV_HOURS = (
    "понедельник, вторник, среда, четверг – с 9.00 до 18.00; пятница с 9.00 до 16.45.\n"
    "Перерыв: с 13.00 до 13.45.\n"
    "Выходные дни: суббота, воскресенье."
)


_REGIONS: tuple[Region, ...] = (
    Region("omsk", "Омская область", "Asia/Omsk", ("омск",), _OMSK_HOURS),
    Region(
        "rostov",
        "Ростовская область",
        "Europe/Moscow",
        ("ростов", "ростов-на-дону"),
        _ROSTOV_HOURS,
    ),
    Region("moscow", "Москва", "Europe/Moscow", ("г. москва", "город москва")),
    Region("moscow-oblast", "Московская область", "Europe/Moscow"),
    Region("spb", "Санкт-Петербург", "Europe/Moscow", ("г. санкт-петербург",)),
    Region("leningrad", "Ленинградская область", "Europe/Moscow"),
    Region("novosibirsk", "Новосибирская область", "Asia/Novosibirsk"),
    Region("tomsk", "Томская область", "Asia/Tomsk"),
    Region("tyumen", "Тюменская область", "Asia/Yekaterinburg"),
    Region("kurgan", "Курганская область", "Asia/Yekaterinburg"),
    Region("sverdlovsk", "Свердловская область", "Asia/Yekaterinburg"),
    Region("chelyabinsk", "Челябинская область", "Asia/Yekaterinburg"),
    Region("altai-krai", "Алтайский край", "Asia/Barnaul"),
    Region("kemerovo", "Кемеровская область", "Asia/Novokuznetsk", ("кузбасс",)),
    Region("krasnoyarsk", "Красноярский край", "Asia/Krasnoyarsk"),
    Region("irkutsk", "Иркутская область", "Asia/Irkutsk"),
    Region("krasnodar", "Краснодарский край", "Europe/Moscow"),
    Region("volgograd", "Волгоградская область", "Europe/Volgograd"),
    Region("samara", "Самарская область", "Europe/Samara"),
    Region("saratov", "Саратовская область", "Europe/Saratov"),
    Region("tatarstan", "Республика Татарстан", "Europe/Moscow", ("татарстан",)),
    Region("bashkortostan", "Республика Башкортостан", "Asia/Yekaterinburg", ("башкирия",)),
    Region("perm", "Пермский край", "Asia/Yekaterinburg"),
    Region("kaliningrad", "Калининградская область", "Europe/Kaliningrad"),
    Region("primorye", "Приморский край", "Asia/Vladivostok"),
    Region("khabarovsk", "Хабаровский край", "Asia/Vladivostok"),
    Region("sakha", "Республика Саха (Якутия)", "Asia/Yakutsk", ("якутия",)),
    Region("kamchatka", "Камчатский край", "Asia/Kamchatka"),
    Region("magadan", "Магаданская область", "Asia/Magadan"),
    Region("sakhalin", "Сахалинская область", "Asia/Sakhalin"),
)


def _fold(text: str) -> str:
    text = text.strip().lower().replace("ё", "е")
    return re.sub(r"\s+", " ", text)


_BY_KEY: dict[str, Region] = {}
for _region in _REGIONS:
    for _key in (_region.code, _region.name, *_region.aliases):
        _BY_KEY[_fold(_key)] = _region


class UnknownRegionError(LookupError):
    def __init__(self, why: Reason) -> None:
        super().__init__(str(why))
        self.why = why


def find_region(text: str) -> Region:
    """The region named by `text` (Russian name, alias or code); raises UnknownRegionError."""
    region = _BY_KEY.get(_fold(text))
    if region is None:
        raise UnknownRegionError(because("unknown_region", text=text.strip()))
    return region


def all_regions() -> tuple[Region, ...]:
    return _REGIONS
