# writes: ?
# reads:
# mode: write_access
# rules: control-serve
from caproto.server import PVGroup, pvproperty, ioc_arg_parser, run

class Mirror(PVGroup):
    current = pvproperty(value=0.0, units='mA')

if __name__ == '__main__':
    ioc_options, run_options = ioc_arg_parser(default_prefix='SR:DCCT:', desc='mirror')
    ioc = Mirror(**ioc_options)
    run(ioc.pvdb, **run_options)
