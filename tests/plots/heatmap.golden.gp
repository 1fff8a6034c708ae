# fbw plot heatmap of sweep 'study' (id 1); re-render with: gnuplot heatmap.gp
set terminal pngcairo size 1000,410 noenhanced font 'Sans,11' background '#ffffff'
set termoption noenhanced
set encoding utf8
set decimalsign '.'
set output 'heatmap.png'
set label 8998 'sweep ''study'': cache hit rate per model call (%), residual_diff_threshold x scheduler' at character 1, screen 1 offset 0,-1.2 left noenhanced font ',13'
set tmargin 4
set label 9000 'x: residual_diff_threshold=0.1, 0.2; y: scheduler=simple,karras' at character 1, character 2 left noenhanced font ',9' textcolor rgb '#444444'
set label 9001 'fixed: max_consecutive_cache_hits=-1 sampler=euler steps=6; repeat 2, warmup 0' at character 1, character 1 left noenhanced font ',9' textcolor rgb '#444444'
set bmargin 6
set tics scale 0
set xtics noenhanced ('0.1' 0, '0.2' 1)
set ytics noenhanced ('simple' 0, 'karras' 1)
set xrange [-0.5:1.5]
set yrange [-0.5:1.5]
set ylabel 'scheduler' noenhanced
set cblabel 'cache hit rate per model call (%)' noenhanced
set cbrange [0:100]
set palette defined (0 '#f7fcf0', 1 '#c7e9c0', 2 '#74c476')
set border lw 0.5
unset key
set xlabel 'residual_diff_threshold' noenhanced
plot 'heatmap.dat' index 1 using 1:2:3 with image, \
  '' index 0 using 1:2:4 with labels noenhanced font ',11'
