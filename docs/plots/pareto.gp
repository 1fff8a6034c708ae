# fbw plot pareto of sweep 'bench' (id 1); re-render with: gnuplot pareto.gp
set terminal pngcairo size 1000,640 noenhanced font 'Sans,11' background '#ffffff'
set termoption noenhanced
set encoding utf8
set decimalsign '.'
set output 'pareto.png'
set label 8998 'sweep ''bench'': speed-up against psnr, the Pareto frontier labelled' at character 1, screen 1 offset 0,-1.2 left noenhanced font ',13'
set tmargin 4
set label 9000 'x: residual_diff_threshold=0.05, 0.1, 0.2, 0.3; y: scheduler=simple,karras,normal' at character 1, character 3 left noenhanced font ',9' textcolor rgb '#444444'
set label 9001 'fixed: max_consecutive_cache_hits=-1 start=0 end=1 sampler=euler steps=30 cfg=3 seed=0 class=0 model=models/default.safetensors' at character 1, character 2 left noenhanced font ',9' textcolor rgb '#444444'
set label 9002 'compile=none; repeat 3, warmup 1' at character 1, character 1 left noenhanced font ',9' textcolor rgb '#444444'
set bmargin 7
set xlabel 'PSNR against the reference (dB)' noenhanced
set ylabel 'speed-up over the uncached reference (x)' noenhanced
set yrange [0:*]
set xtics 20, 5, 60
set xtics add ('identical' 65)
set offsets graph 0.06, graph 0.22, graph 0.1, 0
set border 3
set tics nomirror
set grid lc rgb '#e4e4e4'
set key outside right top noenhanced title 'scheduler'
plot \
  'pareto.dat' index 0 using 1:2:3:4 with yerrorbars pt 7 ps 1.2 lc rgb '#0072b2' title 'simple' noenhanced, \
  'pareto.dat' index 1 using 1:2:3:4 with yerrorbars pt 7 ps 1.2 lc rgb '#d55e00' title 'karras' noenhanced, \
  'pareto.dat' index 2 using 1:2:3:4 with yerrorbars pt 7 ps 1.2 lc rgb '#009e73' title 'normal' noenhanced, \
  'pareto.dat' index 3 using 1:2 with fsteps lw 2 dt 2 lc rgb '#444444' title 'Pareto frontier' noenhanced, \
  'pareto.dat' index 3 using 1:2:5 with labels left offset 1,0.6 noenhanced font ',9' tc rgb '#222222' notitle, \
  1 with lines dt 3 lc rgb '#999999' title 'no gain (1x)' noenhanced
