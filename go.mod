module ipband

go 1.24

require (
	github.com/google/gopacket v1.1.19 // indirect
	github.com/hashicorp/golang-lru/v2 v2.0.7 // indirect
	github.com/spf13/pflag v1.1.0 // indirect
	golang.org/x/net v0.0.0-20190620200207-3b0461eec859 // indirect
	golang.org/x/sys v0.0.0-20190412213103-97732733099d // indirect
	gopkg.in/ini.v1 v1.67.3 // indirect
)
