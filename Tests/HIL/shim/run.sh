# Sourced by the HIL guest's /init (HIL_EXTRA): `check`, PASS and FAIL come from there.
# Creates a gpio-sim device with two banks, then runs every shim_test_v<MAJOR> next to this file.
C=/sys/kernel/config/gpio-sim/cg
mkdir $C $C/bank0 $C/bank1
echo 8 > $C/bank0/num_lines; echo cg-sim > $C/bank0/label
echo 4 > $C/bank1/num_lines; echo cg-sim-b > $C/bank1/label
for l in 0:RED 1:GREEN 2:AMBER_AL 4:BUTTON 5:BUTTON_AL 6:DOOR 7:DUP; do
  mkdir $C/bank0/line${l%%:*}; echo ${l#*:} > $C/bank0/line${l%%:*}/name
done
mkdir $C/bank1/line0; echo DUP > $C/bank1/line0/name
echo 1 > $C/live
SA=/sys/devices/platform/$(cat $C/dev_name)/$(cat $C/bank0/chip_name)
SB=/sys/devices/platform/$(cat $C/dev_name)/$(cat $C/bank1/chip_name)
check "gpio-sim cg-sim live ($SA, $SB)" test -d $SA -a -d $SB
for t in /hil/extra/shim_test_v*; do
  major=${t##*_v}
  $t $major $SA $SB > /tmp/shim.out 2>&1; rc=$?
  sed "s/^/[v$major] /" /tmp/shim.out
  PASS=$((PASS + $(grep -c '^PASS' /tmp/shim.out))); FAIL=$((FAIL + $(grep -c '^FAIL' /tmp/shim.out)))
  check "shim_test libgpiod $major.x exit 0" [ $rc -eq 0 ]
done
