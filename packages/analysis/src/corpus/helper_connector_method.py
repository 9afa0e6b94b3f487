# writes: HLP:6
# reads: HLP:7
# mode: write_access
# rules: undefined-name
connector.write_channel("HLP:6", 2)
x = connector.read_channel("HLP:7")
