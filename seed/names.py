"""Name pools, fake phone numbers and synthetic ID numbers with a valid GB 11643 check digit."""

from __future__ import annotations

import datetime as dt
import random

# Common surnames, most frequent first; weights fall off with rank.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴"
)
# Old Shanghai families (public housing, homestead owners) carry local surnames more often.
LOCAL_SURNAMES = "张王陈朱徐沈陆顾周金钱蔡姚吴杨黄李胡施倪瞿奚唐杜"
_SURNAME_WEIGHTS = [1.0 / (rank + 6) for rank in range(len(SURNAMES))]

_GIVEN = {
    # born before 1960
    ("M", 0): (
        "建国 国强 志明 德明 福生 根宝 金龙 永康 国平 建华 伟民 荣根 海林 文龙 宝山 明德 惠民 正华 "
        "耀祖 阿大 金根 裕昌 长发 国庆 新民 家兴 桂林 炳坤 忠 林 祥 才 发 良"
    ).split(),
    ("F", 0): (
        "秀英 桂英 玉兰 凤英 美华 金妹 杏娣 淑珍 月娥 巧珍 彩娣 素琴 丽娟 惠芳 宝珍 招娣 爱华 菊芳 "
        "雪英 根娣 秀珍 梅芳 兰英 小妹 琴 英 珍 芬"
    ).split(),
    # born 1960-1990
    ("M", 1): (
        "伟 强 军 勇 杰 磊 涛 斌 波 辉 刚 明 健 峰 鹏 飞 超 华 平 俊 志刚 海涛 建军 晓东 国栋 文杰 "
        "宏伟 俊峰 永刚 立新 卫东 振华 春雷 建平 晓峰 海波 文斌 志强 敏杰 伟华"
    ).split(),
    ("F", 1): (
        "丽 静 敏 芳 燕 娟 婷 霞 红 艳 琳 颖 洁 萍 玲 晓燕 丽华 海燕 雪梅 春燕 慧敏 佳丽 秀梅 文静 "
        "晓红 美玲 丽萍 亚琴 卫红 晓敏 红梅 志芳 雅琴 蓓蕾"
    ).split(),
}
# born after 1990: two characters combined from these
_YOUNG_FIRST = {"M": "子梓浩宇俊皓睿嘉思博天明一家泽奕铭逸", "F": "欣梓雨思佳诗可语一若芷嘉紫梦雅馨"}
_YOUNG_SECOND = {"M": "轩涵然航熙泽文远豪辰洋阳晨宁杰凯瑞哲", "F": "怡涵桐琪萱彤妍琳悦瑶雯婷菲琦然溪"}


def surname(rng: random.Random, local: bool = False) -> str:
    """A surname: mostly national frequencies, optionally biased to old Shanghai families."""
    if local and rng.random() < 0.6:
        return rng.choice(LOCAL_SURNAMES)
    return rng.choices(SURNAMES, weights=_SURNAME_WEIGHTS)[0]


def given_name(rng: random.Random, sex: str, birth_year: int) -> str:
    """A given name fitting the sex and the generation."""
    if birth_year >= 1990:
        return rng.choice(_YOUNG_FIRST[sex]) + rng.choice(_YOUNG_SECOND[sex])
    return rng.choice(_GIVEN[(sex, 0 if birth_year < 1960 else 1)])


def full_name(rng: random.Random, sex: str, birth_year: int, family: str | None = None) -> str:
    """Surname + given name; family fixes the surname (children carry the father's)."""
    return (family or surname(rng)) + given_name(rng, sex, birth_year)


# --- phones -----------------------------------------------------------------------------------
PHONE_PREFIX = "19900"  # 199 00xx xxxx: an obviously fake range, 11 digits


class PhonePool:
    """Unique fake mobile numbers 19900xxxxxx, drawn at random without repeats."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[int] = set()

    def take(self) -> str:
        """A number not handed out before."""
        while True:
            n = self._rng.randrange(1_000_000)
            if n not in self._used:
                self._used.add(n)
                return f"{PHONE_PREFIX}{n:06d}"


# --- ID numbers (GB 11643-1999) ---------------------------------------------------------------
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_digit(first17: str) -> str:
    """The 18th character of a resident ID number (ISO 7064 MOD 11-2)."""
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def is_valid_id_number(value: str) -> bool:
    """True when value is 18 characters with a birth date and a matching check digit."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return check_digit(value[:17]) == value[17]


class IdNumberPool:
    """Unique synthetic ID numbers for one region: region + birth date + sequence + check digit."""

    def __init__(self, rng: random.Random, region: str) -> None:
        self._rng = rng
        self._region = region
        self._used: set[str] = set()

    def take(self, birth_year: int, sex: str) -> str:
        """An unused number for someone born in birth_year; the sequence's parity carries the sex."""
        rng = self._rng
        while True:
            born = dt.date(birth_year, 1, 1) + dt.timedelta(days=rng.randrange(365))
            seq = rng.randrange(500) * 2 + (1 if sex == "M" else 0)
            first17 = f"{self._region}{born:%Y%m%d}{seq:03d}"
            if first17 not in self._used:
                self._used.add(first17)
                return first17 + check_digit(first17)
