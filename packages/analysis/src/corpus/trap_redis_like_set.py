# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
class Client:
    def set(self, k, v):
        return None
r = Client()
r.set("k", 1)
