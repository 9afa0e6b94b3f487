# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
import matplotlib.pyplot as plt
fig, ax = plt.subplots()
ax.set(xlabel="t", ylabel="I")
ax.set_title("beam")
