# fbw plot lines of sweep 'bench' (id 1); re-render with: gnuplot lines-time.gp
set terminal pngcairo size 1000,640 noenhanced font 'Sans,11' background '#ffffff'
set termoption noenhanced
set encoding utf8
set decimalsign '.'
set output 'lines-time.png'
set label 8998 'sweep ''bench'': median wall time per image (ms) by residual_diff_threshold' at character 1, screen 1 offset 0,-1.2 left noenhanced font ',13'
set tmargin 4
set label 9000 'x: residual_diff_threshold=0.05, 0.1, 0.2, 0.3; y: scheduler=simple,karras,normal' at character 1, character 3 left noenhanced font ',9' textcolor rgb '#444444'
set label 9001 'fixed: max_consecutive_cache_hits=-1 start=0 end=1 sampler=euler steps=30 cfg=3 seed=0 class=0 model=models/default.safetensors' at character 1, character 2 left noenhanced font ',9' textcolor rgb '#444444'
set label 9002 'compile=none; repeat 3, warmup 1' at character 1, character 1 left noenhanced font ',9' textcolor rgb '#444444'
set bmargin 7
set xlabel 'residual_diff_threshold' noenhanced
set ylabel 'median wall time per image (ms)' noenhanced
set yrange [0:*]
set offsets graph 0.04, graph 0.04, graph 0.08, 0
set border 3
set tics nomirror
set grid ytics lc rgb '#dddddd'
set key outside right top noenhanced title 'scheduler'
plot \
  'lines-time.dat' index 0 using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 1 lc rgb '#0072b2' title 'simple' noenhanced, \
  'lines-time.dat' index 1 using 1:2 with lines dt 2 lw 1 lc rgb '#0072b2' title 'simple, uncached reference' noenhanced, \
  'lines-time.dat' index 2 using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 1 lc rgb '#d55e00' title 'karras' noenhanced, \
  'lines-time.dat' index 3 using 1:2 with lines dt 2 lw 1 lc rgb '#d55e00' title 'karras, uncached reference' noenhanced, \
  'lines-time.dat' index 4 using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 1 lc rgb '#009e73' title 'normal' noenhanced, \
  'lines-time.dat' index 5 using 1:2 with lines dt 2 lw 1 lc rgb '#009e73' title 'normal, uncached reference' noenhanced
