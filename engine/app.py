"""`tf.app`: command-line flags (`tf.app.flags`, absl's style) and `tf.app.run`.

    flags = tf.app.flags
    flags.DEFINE_integer("max_steps", 100, "Number of steps to run.")
    FLAGS = flags.FLAGS
    def main(_): print(FLAGS.max_steps)
    tf.app.run()                      # parses sys.argv, then calls main(remaining argv)

Flags are parsed from the command line on first use too (TF1's own behaviour before absl), so
a program that reads `FLAGS.x` without `tf.app.run()` — a notebook, say — gets the defaults.
"""
from __future__ import annotations

import sys
from types import SimpleNamespace


class FlagError(ValueError):
    """A bad command line: an unknown flag, or a value of the wrong kind."""


class _Flags:
    """The registry behind `tf.app.flags.FLAGS`."""

    def __init__(self):
        object.__setattr__(self, "_defs", {})  # name -> (parse, default, help)
        object.__setattr__(self, "_values", {})
        object.__setattr__(self, "_parsed", False)

    def _define(self, name: str, default, help_text: str, parse) -> None:
        if name in self._defs:
            raise FlagError(f"The flag '{name}' is defined twice.")
        self._defs[name] = (parse, default, help_text)
        self._values[name] = default

    def __call__(self, argv: list[str]) -> list[str]:
        """Parse `argv` (argv[0] is the program); returns what is not a flag."""
        rest = [argv[0]] if argv else []
        args = list(argv[1:])
        while args:
            arg = args.pop(0)
            if arg == "--":
                rest += args
                break
            if not arg.startswith("-") or arg == "-":
                rest.append(arg)
                continue
            name, eq, value = arg.lstrip("-").partition("=")
            if name not in self._defs and name.startswith("no") and name[2:] in self._defs \
                    and self._defs[name[2:]][0] is _bool and not eq:
                self._values[name[2:]] = False
                continue
            if name not in self._defs:
                raise FlagError(f"Unknown command line flag '{name}'")
            parse = self._defs[name][0]
            if not eq:
                if parse is _bool:
                    value = "true"
                elif args:
                    value = args.pop(0)
                else:
                    raise FlagError(f"Flag --{name} needs a value")
            try:
                self._values[name] = parse(value)
            except ValueError as e:
                raise FlagError(f"flag --{name}={value}: {e}") from None
        object.__setattr__(self, "_parsed", True)
        return rest

    def __getattr__(self, name: str):
        if name not in self._defs:
            raise AttributeError(name)
        if not self._parsed:  # read from the command line, leaving what is not ours
            known = [a for a in sys.argv[1:] if a.lstrip("-").partition("=")[0].removeprefix(
                "no") in self._defs]
            self([sys.argv[0] if sys.argv else "", *known])
        return self._values[name]

    def __setattr__(self, name: str, value) -> None:
        if name not in self._defs:
            raise AttributeError(f"no flag named {name!r}")
        self._values[name] = value

    def __contains__(self, name: str) -> bool:
        return name in self._defs

    def flag_values_dict(self) -> dict:
        return dict(self._values)


def _bool(text: str) -> bool:
    low = str(text).lower()
    if low in ("true", "t", "1", "yes"):
        return True
    if low in ("false", "f", "0", "no"):
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def _list(text: str) -> list[str]:
    return [x for x in str(text).split(",") if x] if not isinstance(text, list) else text


FLAGS = _Flags()


def _definer(parse):
    def define(name: str, default, help=None, **_ignored):
        FLAGS._define(name, default if default is None else parse(default), help or "", parse)

    return define


def _enum(name: str, default, enum_values, help=None, **_ignored):
    def parse(text):
        if text not in enum_values:
            raise ValueError(f"value should be one of <{'|'.join(enum_values)}>")
        return text

    FLAGS._define(name, default, help or "", parse)


flags = SimpleNamespace(
    FLAGS=FLAGS,
    DEFINE_string=_definer(str),
    DEFINE_integer=_definer(int),
    DEFINE_float=_definer(float),
    DEFINE_boolean=_definer(_bool),
    DEFINE_bool=_definer(_bool),
    DEFINE_list=_definer(_list),
    DEFINE_enum=_enum,
    FlagValues=_Flags,
    Error=FlagError,
)


def run(main=None, argv=None):
    """Parse the flags from `argv` (default: sys.argv) and exit with `main(remaining argv)`."""
    argv = sys.argv if argv is None else argv
    try:
        rest = FLAGS(list(argv))
    except FlagError as e:
        sys.stderr.write(f"FATAL Flags parsing error: {e}\n")
        sys.exit(1)
    main = main or sys.modules["__main__"].main
    sys.exit(main(rest))
