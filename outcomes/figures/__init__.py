"""Figure builders, one module per page: DataFrames in, Plotly figures in the project's
template out. No Streamlit import, so the board report renders the same figures."""
