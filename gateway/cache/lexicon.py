"""Word lists the verification step reads: units, number words, negations, opposites.

Data only. Every list is general English and general technical vocabulary, not tuned to
any test set; extend it where a tenant's false hits show a gap.
"""

from __future__ import annotations


def _words(text: str) -> list[str]:
    return text.split()


STOPWORDS = frozenset(
    _words(
        """
    a an the this that these those there here it its it's i me my mine we us our you your
    he she him her his they them their what which who whom whose when where why how
    is are was were be been being am do does did done doing have has had having will would
    shall should can could may might must of in on at by for with about as into onto to from
    up out over under again then once and or but if so than too very just also only both each
    any some such own same other all few more most many much lot lots please kindly thanks
    thank hi hello hey tell give show explain describe let know want need like get got way
    ways best good help me us quick quickly simple simply short briefly brief
    whats hows wheres whos whens whys thats theres heres im ive id youre lets
    """
    )
)

# Number words and their values; "a dozen" and similar collective forms included.
NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000,
    "million": 1_000_000, "billion": 1_000_000_000, "trillion": 1_000_000_000_000,
    "dozen": 12, "half": 0.5, "quarter": 0.25, "twice": 2, "double": 2, "triple": 3,
    "single": 1, "pair": 2, "couple": 2,
}  # fmt: skip

ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "twentieth": 20,
    "hundredth": 100, "thousandth": 1000,
}  # fmt: skip

NEGATIONS = frozenset(
    _words(
        """
    not no never none nothing nobody nowhere neither nor without cannot cant dont doesnt didnt
    isnt arent wasnt werent wont wouldnt shouldnt couldnt hasnt havent hadnt mustnt neednt
    except excluding exclude excludes avoid avoids avoiding lack lacks lacking non
    """
    )
)

# Surface form -> canonical unit. Forms that are also ordinary words ("in", "m", "s",
# "g", "l", "second") count as units only right after a number (see UNIT_AFTER_NUMBER).
_UNITS: dict[str, tuple[str, ...]] = {
    "mm": ("mm", "millimeter", "millimeters", "millimetre", "millimetres"),
    "cm": ("cm", "centimeter", "centimeters", "centimetre", "centimetres"),
    "m": ("meter", "meters", "metre", "metres"),
    "km": ("km", "kms", "kilometer", "kilometers", "kilometre", "kilometres"),
    "inch": ("inch", "inches"),
    "foot": ("ft", "foot", "feet"),
    "yard": ("yd", "yds", "yard", "yards"),
    "mile": ("mi", "mile", "miles"),
    "nmi": ("nautical",),
    "mg": ("mg", "milligram", "milligrams"),
    "g": ("gram", "grams", "gramme", "grammes"),
    "kg": ("kg", "kgs", "kilogram", "kilograms", "kilo", "kilos"),
    "tonne": ("tonne", "tonnes", "ton", "tons"),
    "pound": ("lb", "lbs", "pound", "pounds", "gbp", "£", "sterling"),
    "ounce": ("oz", "ounce", "ounces"),
    "stone": ("stone", "stones"),
    "ml": ("ml", "milliliter", "milliliters", "millilitre", "millilitres"),
    "l": ("liter", "liters", "litre", "litres"),
    "gallon": ("gal", "gallon", "gallons"),
    "quart": ("qt", "quart", "quarts"),
    "pint": ("pint", "pints"),
    "cup": ("cup", "cups"),
    "tbsp": ("tbsp", "tablespoon", "tablespoons"),
    "tsp": ("tsp", "teaspoon", "teaspoons"),
    "celsius": ("celsius", "centigrade", "°c"),
    "fahrenheit": ("fahrenheit", "°f"),
    "kelvin": ("kelvin", "kelvins"),
    "ns": ("ns", "nanosecond", "nanoseconds"),
    "us": ("µs", "microsecond", "microseconds"),
    "ms": ("ms", "millisecond", "milliseconds", "msec"),
    "s": ("sec", "secs", "seconds"),
    "min": ("mins", "minute", "minutes"),
    "h": ("hr", "hrs", "hour", "hours"),
    "day": ("days",),
    "week": ("weeks", "wk", "wks"),
    "month": ("months",),
    "year": ("years", "yr", "yrs"),
    "decade": ("decades",),
    "century": ("centuries",),
    "bit": ("bit", "bits"),
    "byte": ("byte", "bytes"),
    "kb": ("kb", "kib", "kilobyte", "kilobytes"),
    "mb": ("mb", "mib", "megabyte", "megabytes"),
    "gb": ("gb", "gib", "gigabyte", "gigabytes"),
    "tb": ("tb", "tib", "terabyte", "terabytes"),
    "mph": ("mph",),
    "kmh": ("kph", "km/h", "kmh"),
    "mps": ("m/s",),
    "knot": ("knot", "knots"),
    "acre": ("acre", "acres"),
    "hectare": ("hectare", "hectares"),
    "square": ("square", "sq"),
    "cubic": ("cubic",),
    "watt": ("watt", "watts"),
    "kw": ("kw", "kilowatt", "kilowatts"),
    "kwh": ("kwh",),
    "hp": ("hp", "horsepower"),
    "joule": ("joule", "joules"),
    "calorie": ("cal", "kcal", "calorie", "calories"),
    "psi": ("psi",),
    "pascal": ("pa", "pascal", "pascals", "kpa"),
    "atm": ("atm", "atmosphere", "atmospheres"),
    "hz": ("hz", "hertz"),
    "khz": ("khz",),
    "mhz": ("mhz",),
    "ghz": ("ghz",),
    "volt": ("volt", "volts"),
    "amp": ("amp", "amps", "ampere", "amperes"),
    "px": ("px", "pixel", "pixels"),
    "rem": ("rem",),
    "pt": ("pt",),
    "degree": ("degree", "degrees", "°", "deg"),
    "radian": ("rad", "radian", "radians"),
    "percent": ("%", "percent", "percentage", "pct"),
    "usd": ("usd", "$", "dollar", "dollars", "buck", "bucks"),
    "eur": ("eur", "€", "euro", "euros"),
    "jpy": ("jpy", "¥", "yen"),
    "cny": ("cny", "yuan", "rmb", "renminbi"),
    "inr": ("inr", "₹", "rupee", "rupees"),
    "cad": ("cad",),
    "aud": ("aud",),
    "chf": ("chf", "franc", "francs"),
    "btc": ("btc", "bitcoin", "bitcoins"),
    "eth": ("eth", "ether"),
}

UNITS: dict[str, str] = {form: unit for unit, forms in _UNITS.items() for form in forms}

# Forms that are also ordinary words: units only right after a number ("5 m", "2 in",
# "3 day"). Singular time words are mostly not measures ("what year", "this week").
UNIT_AFTER_NUMBER: dict[str, str] = {
    "m": "m",
    "s": "s",
    "g": "g",
    "l": "l",
    "in": "inch",
    "second": "s",
    "t": "tonne",
    "c": "celsius",
    "f": "fahrenheit",
    "k": "kelvin",
    "d": "day",
    "h": "h",
    "b": "byte",
    "w": "watt",
    "j": "joule",
    "v": "volt",
    "ha": "hectare",
    "bar": "bar",
    "em": "em",
    "day": "day",
    "week": "week",
    "month": "month",
    "year": "year",
    "decade": "decade",
    "century": "century",
}

# Pairs of opposite poles: a prompt that says one and not the other, against one that
# says the other and not the first, asks the opposite question. Stems: inflections
# (s, es, ed, ing, ion, ...) of each form match it.
OPPOSITES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("ascending", "asc", "ascend"), ("descending", "desc", "descend")),
    (("increase", "increment", "raise", "grow"), ("decrease", "decrement", "lower", "shrink")),
    (("max", "maximum", "maximize", "largest", "biggest", "greatest", "highest", "most"),
     ("min", "minimum", "minimize", "smallest", "lowest", "least", "fewest")),
    (("large", "big", "bigger", "larger", "high", "higher", "tall", "taller", "tallest"),
     ("small", "smaller", "little", "low", "short", "shorter", "shortest")),
    (("encrypt", "encipher"), ("decrypt", "decipher")),
    (("encode",), ("decode",)),
    (("compress", "zip", "pack", "archive"), ("decompress", "unzip", "unpack", "extract")),
    (("serialize", "serialise", "marshal", "stringify"),
     ("deserialize", "deserialise", "unmarshal", "parse")),
    (("import",), ("export",)),
    (("upload",), ("download",)),
    (("upper", "uppercase", "capital", "capitals"), ("lower", "lowercase")),
    (("left",), ("right",)),
    (("top",), ("bottom",)),
    (("before", "prior"), ("after",)),
    (("first", "earliest", "oldest", "beginning"), ("last", "latest", "newest", "final")),
    (("start", "begin", "beginning"), ("end", "finish", "stop")),
    (("open",), ("close", "shut")),
    (("enable", "activate", "turn on"), ("disable", "deactivate", "turn off")),
    (("add", "insert", "append", "create", "push"), ("remove", "delete", "drop", "pop")),
    (("install",), ("uninstall", "remove")),
    (("push",), ("pull", "fetch")),
    (("send", "transmit"), ("receive",)),
    (("read", "load"), ("write", "save", "store")),
    (("input",), ("output",)),
    (("client",), ("server",)),
    (("true",), ("false",)),
    (("pros", "advantage", "advantages", "benefit", "benefits", "upside", "upsides"),
     ("cons", "disadvantage", "disadvantages", "drawback", "drawbacks", "downside",
      "downsides", "risk", "risks")),
    (("fast", "faster", "fastest", "quick", "quicker", "speed up"),
     ("slow", "slower", "slowest", "slowly", "slow down")),
    (("hot", "hotter", "warm", "warmer", "heat"), ("cold", "colder", "cool", "cooler")),
    (("positive",), ("negative",)),
    (("horizontal", "horizontally"), ("vertical", "vertically")),
    (("inner", "inside", "internal", "interior"), ("outer", "outside", "external", "exterior")),
    (("sync", "synchronous", "synchronously"), ("async", "asynchronous", "asynchronously")),
    (("public",), ("private",)),
    (("lock",), ("unlock",)),
    (("show", "display", "unhide"), ("hide",)),
    (("mount",), ("unmount", "umount")),
    (("connect",), ("disconnect",)),
    (("subscribe",), ("unsubscribe",)),
    (("allow", "permit", "whitelist", "allowlist"), ("deny", "block", "forbid", "blacklist")),
    (("accept",), ("reject", "decline")),
    (("win", "winning", "won"), ("lose", "losing", "lost")),
    (("buy", "purchase"), ("sell",)),
    (("long", "longer", "longest"), ("short", "shorter", "shortest")),
    (("cheap", "cheaper", "cheapest", "inexpensive"), ("expensive", "costly", "pricier")),
    (("strong", "stronger", "strongest"), ("weak", "weaker", "weakest")),
    (("easy", "easier", "easiest"), ("hard", "harder", "hardest", "difficult")),
    (("best",), ("worst",)),
    (("light", "lighter"), ("dark", "darker")),
    (("up", "upward", "upwards", "above"), ("down", "downward", "downwards", "below")),
    (("include", "including"), ("exclude", "excluding")),
    (("online",), ("offline",)),
    (("success", "successful", "succeed"), ("failure", "fail", "failed")),
    (("valid",), ("invalid",)),
    (("legal",), ("illegal",)),
    (("safe", "safely"), ("unsafe", "dangerous")),
    (("healthy",), ("unhealthy",)),
    (("north", "northern"), ("south", "southern")),
    (("east", "eastern"), ("west", "western")),
    (("love",), ("hate",)),
    (("rich", "wealthy"), ("poor",)),
    (("wet",), ("dry",)),
    (("male", "man", "men"), ("female", "woman", "women")),
    (("future",), ("past",)),
)  # fmt: skip

# Inflections that still name the same pole ("sorting", "encrypted", "encryption").
INFLECTIONS = ("", "s", "es", "ed", "d", "ing", "ion", "ions", "er", "ers", "ly", "ment")
