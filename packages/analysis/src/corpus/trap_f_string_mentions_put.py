# writes:
# reads:
# mode: read_only
# rules:
# trap: yes
name = "Q1"
print(f"would caput {name}.put(1)")
