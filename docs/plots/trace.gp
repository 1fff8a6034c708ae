# fbw plot trace of sweep 'bench' (id 1); re-render with: gnuplot trace.gp
set terminal pngcairo size 1000,640 noenhanced font 'Sans,11' background '#ffffff'
set termoption noenhanced
set encoding utf8
set decimalsign '.'
set output 'trace.png'
set label 8998 'sweep ''bench'': per-call rel-L1 change of the first block''s residual against the cache threshold' at character 1, screen 1 offset 0,-1.2 left noenhanced font ',13'
set tmargin 4
set label 9000 'x: residual_diff_threshold=0.05, 0.1, 0.2, 0.3; y: scheduler=simple,karras,normal' at character 1, character 3 left noenhanced font ',9' textcolor rgb '#444444'
set label 9001 'fixed: max_consecutive_cache_hits=-1 start=0 end=1 sampler=euler steps=30 cfg=3 seed=0 class=0 model=models/default.safetensors' at character 1, character 2 left noenhanced font ',9' textcolor rgb '#444444'
set label 9002 'compile=none; repeat 3, warmup 1' at character 1, character 1 left noenhanced font ',9' textcolor rgb '#444444'
set bmargin 7
set xlabel 'step' noenhanced
set ylabel 'rel-L1 of the first block''s residual' noenhanced
set xrange [-0.5:29.5]
set offsets 0, 0, graph 0.05, graph 0.05
set border 3
set tics nomirror
set key outside right top noenhanced title 'cell'
set grid lc rgb '#e8e8e8'
plot \
  NaN with points pt 7 ps 1.1 lc rgb '#333333' title 'hit (blocks skipped)' noenhanced, \
  NaN with points pt 6 ps 1.1 lc rgb '#333333' title 'computed' noenhanced, \
  'trace.dat' index 0 using 1:2 with lines lw 1.5 lc rgb '#0072b2' title '0.2, simple' noenhanced, \
  '' index 0 using 1:($3 == 1 ? $2 : NaN) with points pt 7 ps 1.1 lc rgb '#0072b2' notitle, \
  '' index 0 using 1:($3 == 0 ? $2 : NaN) with points pt 6 ps 1.1 lc rgb '#0072b2' notitle, \
  0.20000000000000001 with lines dt 2 lw 1.5 lc rgb '#555555' title 'threshold 0.2' noenhanced, \
  'trace.dat' index 1 using 1:2 with lines lw 1.5 lc rgb '#d55e00' title '0.2, karras' noenhanced, \
  '' index 1 using 1:($3 == 1 ? $2 : NaN) with points pt 7 ps 1.1 lc rgb '#d55e00' notitle, \
  '' index 1 using 1:($3 == 0 ? $2 : NaN) with points pt 6 ps 1.1 lc rgb '#d55e00' notitle, \
  'trace.dat' index 2 using 1:2 with lines lw 1.5 lc rgb '#009e73' title '0.2, normal' noenhanced, \
  '' index 2 using 1:($3 == 1 ? $2 : NaN) with points pt 7 ps 1.1 lc rgb '#009e73' notitle, \
  '' index 2 using 1:($3 == 0 ? $2 : NaN) with points pt 6 ps 1.1 lc rgb '#009e73' notitle
