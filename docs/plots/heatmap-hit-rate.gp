# fbw plot heatmap of sweep 'bench' (id 1); re-render with: gnuplot heatmap-hit-rate.gp
set terminal pngcairo size 1000,450 noenhanced font 'Sans,11' background '#ffffff'
set termoption noenhanced
set encoding utf8
set decimalsign '.'
set output 'heatmap-hit-rate.png'
set label 8998 'sweep ''bench'': cache hit rate per model call (%), residual_diff_threshold x scheduler' at character 1, screen 1 offset 0,-1.2 left noenhanced font ',13'
set tmargin 4
set label 9000 'x: residual_diff_threshold=0.05, 0.1, 0.2, 0.3; y: scheduler=simple,karras,normal' at character 1, character 3 left noenhanced font ',9' textcolor rgb '#444444'
set label 9001 'fixed: max_consecutive_cache_hits=-1 start=0 end=1 sampler=euler steps=30 cfg=3 seed=0 class=0 model=models/default.safetensors' at character 1, character 2 left noenhanced font ',9' textcolor rgb '#444444'
set label 9002 'compile=none; repeat 3, warmup 1' at character 1, character 1 left noenhanced font ',9' textcolor rgb '#444444'
set bmargin 7
set tics scale 0
set xtics noenhanced ('0.05' 0, '0.1' 1, '0.2' 2, '0.3' 3)
set ytics noenhanced ('simple' 0, 'karras' 1, 'normal' 2)
set xrange [-0.5:3.5]
set yrange [-0.5:2.5]
set ylabel 'scheduler' noenhanced
set cblabel 'cache hit rate per model call (%)' noenhanced
set cbrange [0:100]
set palette defined (0 '#f7fcf0', 1 '#c7e9c0', 2 '#74c476')
set border lw 0.5
unset key
set xlabel 'residual_diff_threshold' noenhanced
plot 'heatmap-hit-rate.dat' index 1 using 1:2:3 with image, \
  '' index 0 using 1:2:4 with labels noenhanced font ',11'
