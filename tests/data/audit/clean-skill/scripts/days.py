#!/usr/bin/env python3
"""Add a number of days to an ISO date."""
import datetime
import sys


def main():
    day = datetime.date.fromisoformat(sys.argv[1])
    delta = int(sys.argv[2])
    print((day + datetime.timedelta(days=delta)).isoformat())


if __name__ == "__main__":
    main()
