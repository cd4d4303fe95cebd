package synth_test

import (
	"bytes"
	"fmt"

	"ipband/cmd/pcapgen/internal/synth"
)

func ExampleGenerate() {
	sc, err := synth.Lookup("fragments")
	if err != nil {
		panic(err)
	}
	var out bytes.Buffer
	n, err := synth.Generate(&out, sc, synth.Options{Seed: 1}, synth.WriterOptions{Link: synth.LinkVLAN})
	fmt.Println(n, err)
	// Output: 300 <nil>
}

func ExampleBuildFrame() {
	p := synth.Packet{Proto: synth.ProtoTCP, Src: src4, Dst: dst4, SrcPort: 4359, DstPort: 143, NoPayload: true}
	frame, _ := synth.BuildFrame(nil, synth.LinkEthernet, &p, 60)
	fmt.Println(len(frame), synth.MinLen(synth.LinkEthernet, &p))
	// Output: 60 54
}
