module github.com/tcplab/tcplab/bench

go 1.26.0

replace github.com/tcplab/tcplab => ../
