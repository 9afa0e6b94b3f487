# writes:
# reads: RG:1
# mode: read_only
# rules:
from epics import caget
if __name__ == "__main__":
    results = {"current": caget("RG:1")}
