"""python3 -m fdpass --socket PATH [--bytes 16] [--timeout 10s] NAME...: see fdpass._cli."""

from ._cli import run

if __name__ == "__main__":
    run()
