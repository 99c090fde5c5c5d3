module example.org/worldclock

go 1.19
