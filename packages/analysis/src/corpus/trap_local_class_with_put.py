# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
class Store:
    def put(self, k, v):
        self.k = v
    def set(self, v):
        self.v = v
st = Store()
st.put("a", 1)
st.set(2)
