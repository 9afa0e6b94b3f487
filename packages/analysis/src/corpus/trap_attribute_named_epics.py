# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
class Cfg:
    epics = None
cfg = Cfg()
cfg.epics.caput_later = 1
